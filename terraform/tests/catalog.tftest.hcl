# The catalog module on its own: the records table's columns derived from a schema (compared with what the function's
# rules give for the same document: function/schema Columns), the partitioning and its projection matching the
# function's keys, the SerDe of each format, the quarantine table, the Athena workgroup, and the validation errors.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  name              = "k2s3-test"
  bucket_name       = "k2s3-test-bucket"
  bucket_arn        = "arn:aws:s3:::k2s3-test-bucket"
  schema_file       = "examples/batch-athena/orders.schema.json"
  partition_columns = ["country"]
}

run "jsonl" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  assert {
    condition = [for c in aws_glue_catalog_table.records.storage_descriptor[0].columns : "${c.name} ${c.type}"] == [
      "created_at timestamp",
      "currency string",
      "customer struct<address:struct<city:string,country:string,street:string,zip:string>,id:string,name:string>",
      "items array<struct<name:string,quantity:bigint,sku:string,unit_price:double>>",
      "order_id string",
      "payment string",
      "status string",
      "total_cents bigint",
    ]
    error_message = "The jsonl table's columns are not the schema's (no _extra: JSON Lines have no such field)."
  }
  assert {
    condition     = [for p in aws_glue_catalog_table.records.partition_keys : "${p.name} ${p.type}"] == ["country string", "year int", "month int", "day int", "hour int"]
    error_message = "Partition columns must be the partition keys, then year, month, day and hour."
  }
  assert {
    condition = (
      aws_glue_catalog_table.records.storage_descriptor[0].location == "s3://k2s3-test-bucket/kinesis/" &&
      aws_glue_catalog_table.records.parameters["storage.location.template"] == "s3://k2s3-test-bucket/kinesis/country=$${country}/year=$${year}/month=$${month}/day=$${day}/hour=$${hour}/"
    )
    error_message = "The table must cover key_prefix, and its location template must be the function's key layout."
  }
  assert {
    condition = (
      aws_glue_catalog_table.records.parameters["projection.enabled"] == "true" &&
      aws_glue_catalog_table.records.parameters["projection.country.type"] == "injected" &&
      aws_glue_catalog_table.records.parameters["projection.year.range"] == "2000,2099" &&
      aws_glue_catalog_table.records.parameters["projection.month.range"] == "1,12" &&
      aws_glue_catalog_table.records.parameters["projection.month.digits"] == "2" &&
      aws_glue_catalog_table.records.parameters["projection.day.range"] == "1,31" &&
      aws_glue_catalog_table.records.parameters["projection.day.digits"] == "2" &&
      aws_glue_catalog_table.records.parameters["projection.hour.range"] == "0,23" &&
      aws_glue_catalog_table.records.parameters["projection.hour.digits"] == "2"
    )
    error_message = "Partition projection must cover the time levels (two digits for month, day, hour) and inject the partition keys by default."
  }
  assert {
    condition = (
      aws_glue_catalog_table.records.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hive.hcatalog.data.JsonSerDe" &&
      aws_glue_catalog_table.records.storage_descriptor[0].input_format == "org.apache.hadoop.mapred.TextInputFormat" &&
      aws_glue_catalog_table.records.parameters["classification"] == "json"
    )
    error_message = "jsonl is read with the Hive JSON SerDe (text input: .gz and .zst by extension)."
  }
  assert {
    condition = (
      aws_glue_catalog_table.quarantine.storage_descriptor[0].location == "s3://k2s3-test-bucket/errors/" &&
      aws_glue_catalog_table.quarantine.parameters["storage.location.template"] == "s3://k2s3-test-bucket/errors/year=$${year}/month=$${month}/day=$${day}/hour=$${hour}/" &&
      contains([for c in aws_glue_catalog_table.quarantine.storage_descriptor[0].columns : c.name], "reason") &&
      contains([for c in aws_glue_catalog_table.quarantine.storage_descriptor[0].columns : c.name], "rule") &&
      [for p in aws_glue_catalog_table.quarantine.partition_keys : p.name] == ["year", "month", "day", "hour"]
    )
    error_message = "The quarantine table must cover error_prefix, by arrival hour, with the reason and the rule."
  }
  assert {
    condition = (
      aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration == true &&
      aws_athena_workgroup.this.configuration[0].engine_version[0].selected_engine_version == "Athena engine version 3" &&
      aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 10737418240 &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://k2s3-test-bucket/athena-results/" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_S3"
    )
    error_message = "The workgroup must enforce engine 3, the scan cutoff and encrypted results under results_prefix."
  }
  assert {
    condition = (
      length(aws_athena_named_query.this) == 3 &&
      strcontains(aws_athena_named_query.this["records-per-hour"].query, "AND \"country\" = ?") &&
      strcontains(aws_athena_named_query.this["quarantined-by-reason"].query, "GROUP BY rule")
    )
    error_message = "Named queries: records per hour (filtering the injected key), quarantined records by rule (reasons quote values), latest records."
  }
  assert {
    condition = (
      !strcontains(output.query_policy_json, "\"*\"") &&
      strcontains(output.query_policy_json, "arn:aws:athena:eu-west-1:123456789012:workgroup/k2s3-test\"") &&
      strcontains(output.query_policy_json, "arn:aws:glue:eu-west-1:123456789012:table/k2s3_test/records\"") &&
      strcontains(output.query_policy_json, "arn:aws:s3:::k2s3-test-bucket/athena-results/*") &&
      !strcontains(output.query_policy_json, "kms:")
    )
    error_message = "The query policy must name its resources (no wildcard resource) and grant no KMS without a key."
  }
}

run "parquet" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    format               = "parquet"
    partition_projection = { country = { type = "enum", values = ["DE", "FR", "US", "a!2Fb", "__null__"] } }
    kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = [for c in aws_glue_catalog_table.records.storage_descriptor[0].columns : "${c.name} ${c.type}"] == [
      "_extra string",
      "created_at timestamp",
      "currency string",
      "customer struct<_extra:string,address:struct<_extra:string,city:string,country:string,street:string,zip:string>,id:string,name:string>",
      "items array<struct<_extra:string,name:string,quantity:bigint,sku:string,unit_price:double>>",
      "order_id string",
      "payment string",
      "status string",
      "total_cents bigint",
    ]
    error_message = "The parquet table's columns must be the schema's, with _extra in every struct."
  }
  assert {
    condition = (
      aws_glue_catalog_table.records.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" &&
      aws_glue_catalog_table.records.storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat" &&
      aws_glue_catalog_table.records.parameters["classification"] == "parquet"
    )
    error_message = "parquet is read with the Parquet SerDe."
  }
  assert {
    condition = (
      aws_glue_catalog_table.records.parameters["projection.country.type"] == "enum" &&
      aws_glue_catalog_table.records.parameters["projection.country.values"] == "DE,FR,US,a!2Fb,__null__" &&
      !strcontains(aws_athena_named_query.this["records-per-hour"].query, "?")
    )
    error_message = "An enum key is projected from its values, and queries need not filter it."
  }
  assert {
    condition = (
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == var.kms_key_arn &&
      strcontains(output.query_policy_json, var.kms_key_arn)
    )
    error_message = "With the bucket's key, results are SSE-KMS with it, and the query policy may use it."
  }
}

run "without_a_schema" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    schema_file       = null
    partition_columns = []
  }

  assert {
    condition = (
      [for c in aws_glue_catalog_table.records.storage_descriptor[0].columns : "${c.name} ${c.type}"] == ["line string"] &&
      aws_glue_catalog_table.records.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe" &&
      aws_glue_catalog_table.records.parameters["storage.location.template"] == "s3://k2s3-test-bucket/kinesis/year=$${year}/month=$${month}/day=$${day}/hour=$${hour}/"
    )
    error_message = "Without a schema, the jsonl table has one string column per line."
  }
}

run "column_rules" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    format            = "parquet"
    partition_columns = ["tenant"]
    schema_file       = "tests/fixtures/column-rules.schema.json"
  }

  assert {
    condition     = join("\n", [for c in aws_glue_catalog_table.records.storage_descriptor[0].columns : "${c.name} ${c.type}"]) == trimspace(file("tests/fixtures/column-rules.columns.txt"))
    error_message = "The column rules (single types, depth 4, names, case, reserved names, order) differ from the function's: function/schema TestColumnRules holds it to the same list."
  }
}

run "column_rules_of_references" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    format            = "parquet"
    partition_columns = ["tenant"]
    schema_file       = "tests/fixtures/column-refs.schema.json"
  }

  assert {
    condition     = join("\n", [for c in aws_glue_catalog_table.records.storage_descriptor[0].columns : "${c.name} ${c.type}"]) == trimspace(file("tests/fixtures/column-refs.columns.txt"))
    error_message = "The column rules of $ref (root, $defs and definitions, escapes, chains up to 4, loops, self-reference) differ from the function's: function/schema TestColumnRules holds it to the same list."
  }
}

# A subschema with an $id of its own is an embedded resource: "#/$defs/<name>" inside it names its own definitions
# (the function derives column-scopes.columns.txt, function/schema TestColumnRules). The module follows the root's
# definitions only, so it refuses the file rather than plan other columns; a root $id alone (column-refs, above) is no
# embedded resource.
run "refuses_embedded_schema_resources" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    format            = "parquet"
    partition_columns = ["tenant"]
    schema_file       = "tests/fixtures/column-scopes.schema.json"
  }

  expect_failures = [aws_glue_catalog_table.records]
}

run "jsonl_columns_of_references" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    schema_file = "tests/fixtures/review12-refs.schema.json"
  }

  assert {
    condition = (
      [for c in aws_glue_catalog_table.records.storage_descriptor[0].columns : "${c.name} ${c.type}"] == ["order_id string", "total struct<amount:bigint,currency:string>"] &&
      aws_glue_catalog_table.records.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hive.hcatalog.data.JsonSerDe"
    )
    error_message = "Properties that are $ref to $defs are columns of their definitions' types, read with the JSON SerDe."
  }
}

run "jsonl_without_data_columns_reads_lines" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    schema_file = "tests/fixtures/no-columns.schema.json"
  }

  assert {
    condition = (
      [for c in aws_glue_catalog_table.records.storage_descriptor[0].columns : "${c.name} ${c.type}"] == ["line string"] &&
      aws_glue_catalog_table.records.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    )
    error_message = "A jsonl table over objects none of whose properties is a column has one string column per line, as without a schema."
  }
}

run "parquet_needs_a_schema" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    format      = "parquet"
    schema_file = null
  }

  expect_failures = [aws_glue_catalog_table.records]
}

# Review 20: a partition column named like another column of the table gives it two columns of one name, which Athena
# cannot query: with format = "parquet", _extra (refused whatever the format, as the function refuses it in
# PARTITION_KEYS: layout.ReservedPartitionNames).
run "refuses_a_partition_column_named_extra" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    format            = "parquet"
    partition_columns = ["_extra"]
  }

  expect_failures = [var.partition_columns]
}

# Review 20: with format = "jsonl" and no schema (or one that makes no column) the table's one column is line.
run "refuses_a_partition_column_named_line" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    schema_file       = null
    partition_columns = ["line"]
  }

  expect_failures = [var.partition_columns]
}

run "results_outside_the_function_prefixes" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    results_prefix = "kinesis/athena/"
  }

  expect_failures = [aws_athena_workgroup.this]
}

# The other prefixes of the bucket the caller names (the root: the schema's and the failed batches'): results must
# not land in them, nor they in the results (which expire).
run "results_outside_the_schema_prefix" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    reserved_prefixes = { schema_prefix = "schemas/", "failed batches" = "aws/lambda/" }
    results_prefix    = "schemas/athena/"
  }

  expect_failures = [aws_athena_workgroup.this]
}

run "failed_batches_outside_the_results" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    reserved_prefixes = { schema_prefix = "schemas/", "failed batches" = "aws/lambda/" }
    results_prefix    = "aws/"
  }

  expect_failures = [aws_athena_workgroup.this]
}

run "quarantine_outside_the_results" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    error_prefix   = "athena-results/errors/"
    results_prefix = "athena-results/"
  }

  expect_failures = [aws_athena_workgroup.this]
}

# Overlap is one prefix starting with the other, not a shared beginning: schemas-results/ lies outside schemas/.
run "results_beside_the_reserved_prefixes" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    reserved_prefixes = { schema_prefix = "schemas/", "failed batches" = "aws/lambda/" }
    results_prefix    = "schemas-results/"
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://k2s3-test-bucket/schemas-results/"
    error_message = "A results prefix beside the others, not in them, must be accepted."
  }
}

run "projection_of_an_unknown_key" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    partition_projection = { tenant = { type = "injected" } }
  }

  expect_failures = [aws_glue_catalog_table.records]
}

run "invalid_inputs" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    format                         = "csv"
    partition_columns              = ["hour"]
    partition_projection           = { country = { type = "enum", values = ["a/b"] } }
    results_prefix                 = "/results"
    bytes_scanned_cutoff_per_query = 1000
    key_prefix                     = ""
    schema_file                    = "tests/fixtures/empty.zip"
    reserved_prefixes              = { schema_prefix = "" }
  }

  expect_failures = [
    var.format,
    var.partition_columns,
    var.partition_projection,
    var.results_prefix,
    var.bytes_scanned_cutoff_per_query,
    var.key_prefix,
    var.schema_file,
    var.reserved_prefixes,
  ]
}

run "no_scan_cutoff" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    bytes_scanned_cutoff_per_query = 0
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == null
    error_message = "bytes_scanned_cutoff_per_query = 0 must leave the workgroup without a cutoff."
  }
}

# A JSON Lines table over a schema whose properties are all $ref (the common way to share definitions): no property
# is a column by the module's rules, so the table is planned with no data columns at all — every field the producer
# sent is unreachable from Athena, where the table without a schema would at least have had `line`, and the Parquet
# table has `_extra`.
run "jsonl_table_over_ref_properties_has_a_column" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    schema_file = "tests/fixtures/review12-refs.schema.json"
  }

  assert {
    condition     = length(aws_glue_catalog_table.records.storage_descriptor[0].columns) > 0
    error_message = "The jsonl records table has no data columns: Athena can read none of the records' fields."
  }
}

# partition_columns accepts any [a-z_][a-z0-9_]* name, and PARTITION_KEYS does too: group=.group, order=.order_type,
# values=.v are reserved words of Athena's SQL (Trino's grammar: GROUP, ORDER, VALUES, TABLE, FROM, ...). The named
# queries write each injected key unquoted ("AND group = ?"), so records-per-hour and latest-records are syntax
# errors for such a key; identifiers in Athena DML are quoted with double quotes.
run "named_queries_quote_partition_columns" {
  command = plan

  module {
    source = "./modules/catalog"
  }

  variables {
    partition_columns = ["group"]
  }

  assert {
    condition = alltrue([for k in ["records-per-hour", "latest-records"] :
      strcontains(aws_athena_named_query.this[k].query, "\"group\" = ?")
    ])
    error_message = "The named queries must quote the partition column: AND group = ? is a syntax error in Athena (GROUP is reserved)."
  }
}
