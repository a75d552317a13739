# A Glue database with two tables over the function's bucket — the records under key_prefix (JSON Lines or Parquet,
# partitioned as the function writes them) and the quarantined records under error_prefix — and an Athena workgroup
# to query them. Partitions are projected (computed from the key layout), never crawled: a record is queryable the
# moment its object is written.

data "aws_partition" "current" {}

locals {
  database = coalesce(var.database_name, replace(lower(var.name), "-", "_"))

  # The time levels the function writes: year=YYYY/month=MM/day=DD/hour=HH/, event time between 2000 and 2099
  # (function/layout MinEventYear and MaxEventYear); other times are arrival times, which are in that range.
  time_projection = {
    "projection.year.type"    = "integer"
    "projection.year.range"   = "2000,2099"
    "projection.month.type"   = "integer"
    "projection.month.range"  = "1,12"
    "projection.month.digits" = "2"
    "projection.day.type"     = "integer"
    "projection.day.range"    = "1,31"
    "projection.day.digits"   = "2"
    "projection.hour.type"    = "integer"
    "projection.hour.range"   = "0,23"
    "projection.hour.digits"  = "2"
  }
  time_partitions = [for name in ["year", "month", "day", "hour"] : { name = name, type = "int" }]
  time_template   = "year=$${year}/month=$${month}/day=$${day}/hour=$${hour}/"

  key_projection = merge([for name in local.partition_names : (
    try(var.partition_projection[name].type, "injected") == "enum" ?
    { "projection.${name}.type" = "enum", "projection.${name}.values" = join(",", var.partition_projection[name].values) } :
    { "projection.${name}.type" = "injected" }
  )]...)

  data_location = "s3://${var.bucket_name}/${var.key_prefix}"
  # The key layout of function/layout: <prefix>[<name>=<value>/...]year=YYYY/month=MM/day=DD/hour=HH/<object>.
  location_template = "${local.data_location}${join("", [for name in local.partition_names : "${name}=$${${name}}/"])}${local.time_template}"

  # Hive JSON SerDe: reads the extension's compression (.gz, .zst); RFC 3339 times with or without fractions.
  json_serde = {
    serialization_library = "org.apache.hive.hcatalog.data.JsonSerDe"
    parameters            = { "timestamp.formats" = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSZZ,yyyy-MM-dd'T'HH:mm:ssZZ" }
    input_format          = "org.apache.hadoop.mapred.TextInputFormat"
    output_format         = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
  }
  # Without a schema, each JSON line is one string: the default field delimiter (\u0001) never occurs unescaped in JSON.
  line_serde = {
    serialization_library = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    parameters            = { "serialization.format" = "1" }
    input_format          = "org.apache.hadoop.mapred.TextInputFormat"
    output_format         = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
  }
  parquet_serde = {
    serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    parameters            = { "serialization.format" = "1" }
    input_format          = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format         = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
  }
  records_serde = var.format == "parquet" ? local.parquet_serde : (local.has_columns ? local.json_serde : local.line_serde)

  # The quarantine object (function/process): one per Kinesis record with invalid user records.
  quarantine_columns = [
    { name = "reason", type = "string" },
    { name = "rule", type = "string" },
    { name = "eventSourceARN", type = "string" },
    { name = "shardId", type = "string" },
    { name = "sequenceNumber", type = "string" },
    { name = "partitionKey", type = "string" },
    { name = "partitionKeyBase64", type = "string" },
    { name = "approximateArrivalTimestamp", type = "timestamp" },
    { name = "data", type = "string" },
    { name = "invalid", type = "array<struct<subIndex:int,reason:string,rule:string>>" },
  ]
}

resource "aws_glue_catalog_database" "this" {
  name        = local.database
  description = "Records the ${var.name} pipeline writes to s3://${var.bucket_name}/${var.key_prefix}, and its quarantine."
  tags        = var.tags
}

resource "aws_glue_catalog_table" "records" {
  name          = "records"
  database_name = aws_glue_catalog_database.this.name
  description   = "Records from the stream (${var.format}), partitioned by ${join(", ", concat(local.partition_names, ["year", "month", "day", "hour"]))}: filter on them."
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.time_projection, local.key_projection, {
    "EXTERNAL"                  = "TRUE"
    "classification"            = var.format == "parquet" ? "parquet" : "json"
    "projection.enabled"        = "true"
    "storage.location.template" = local.location_template
  })

  dynamic "partition_keys" {
    for_each = concat([for name in local.partition_names : { name = name, type = "string" }], local.time_partitions)
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = local.data_location
    input_format  = local.records_serde.input_format
    output_format = local.records_serde.output_format

    ser_de_info {
      serialization_library = local.records_serde.serialization_library
      parameters            = local.records_serde.parameters
    }

    dynamic "columns" {
      for_each = local.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.format != "parquet" || local.object_root
      error_message = "format = \"parquet\" needs a schema whose root is \"type\": \"object\": its properties are the columns."
    }
    precondition {
      condition     = local.embedded_resources <= 0
      error_message = "schema_file has ${local.embedded_resources} embedded schema resource(s), subschemas with an \"$id\" of their own (\"id\" in draft 4), whose \"#/$defs/...\" references name their own definitions: the function follows them, but this module follows the root's definitions only, so the table's columns would differ from the function's. Move their definitions into the root's $defs and drop the inner $id (an $id inside a const, default or example value is counted too)."
    }
    precondition {
      condition     = alltrue([for name in keys(var.partition_projection) : contains(local.partition_names, name)])
      error_message = "partition_projection names keys that are not in partition_columns."
    }
  }
}

resource "aws_glue_catalog_table" "quarantine" {
  name          = "quarantine"
  database_name = aws_glue_catalog_database.this.name
  description   = "Records the function quarantined under s3://${var.bucket_name}/${var.error_prefix}, with the reason, by arrival hour."
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.time_projection, {
    "EXTERNAL"                  = "TRUE"
    "classification"            = "json"
    "projection.enabled"        = "true"
    "storage.location.template" = "s3://${var.bucket_name}/${var.error_prefix}${local.time_template}"
  })

  dynamic "partition_keys" {
    for_each = local.time_partitions
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = "s3://${var.bucket_name}/${var.error_prefix}"
    input_format  = local.json_serde.input_format
    output_format = local.json_serde.output_format

    ser_de_info {
      serialization_library = local.json_serde.serialization_library
      parameters            = local.json_serde.parameters
    }

    dynamic "columns" {
      for_each = local.quarantine_columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

locals {
  results_kept_clear_of = merge({ key_prefix = var.key_prefix, error_prefix = var.error_prefix }, var.reserved_prefixes)
  # Two prefixes overlap when one starts with the other: the definition of function/config PrefixesOverlap (which the
  # function applies to KEY_PREFIX and ERROR_PREFIX). Its exception, an empty key prefix, cannot arise here: every
  # prefix above is validated non-empty.
  results_overlaps = [
    for name, prefix in local.results_kept_clear_of : "${name} \"${prefix}\"" if startswith(var.results_prefix, prefix) || startswith(prefix, var.results_prefix)
  ]
}

resource "aws_athena_workgroup" "this" {
  name          = var.name
  description   = "Queries of the ${var.name} pipeline's tables; results under s3://${var.bucket_name}/${var.results_prefix}."
  force_destroy = var.force_destroy
  tags          = var.tags

  configuration {
    # Users of the workgroup cannot send results elsewhere, unencrypted, or through another engine.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query == 0 ? null : var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.bucket_name}/${var.results_prefix}"

      encryption_configuration {
        encryption_option = var.kms_key_arn == null ? "SSE_S3" : "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.results_overlaps) == 0
      error_message = "results_prefix \"${var.results_prefix}\" overlaps ${join(" and ", local.results_overlaps)} (one starts with the other): query results would land among the tables' objects, the function's writes, its schema or the failed batches, and their expiration would delete those. Choose a results_prefix clear of them."
    }
  }
}

locals {
  # Named queries filter on the partition columns: projection computes partitions, it does not list them, and
  # injected keys must be given (the ? are execution parameters, asked for when the query runs).
  key_filter = join("", [for name in local.partition_names : "\n  AND \"${name}\" = ?" if try(var.partition_projection[name].type, "injected") == "injected"])
  today      = "year = year(current_date) AND month = month(current_date) AND day = day(current_date)"

  named_queries = {
    records-per-hour = {
      description = "Records per hour of event time today (UTC)."
      query       = "SELECT year, month, day, hour, count(*) AS records\nFROM \"${local.database}\".\"records\"\nWHERE ${local.today}${local.key_filter}\nGROUP BY year, month, day, hour\nORDER BY hour"
    }
    # By rule, not reason: reasons quote the values that failed, so each would be a group of its own. Objects
    # written before the rule column existed are the group whose rule is null.
    quarantined-by-reason = {
      description = "Quarantined records of today (UTC arrival time) by the rule they failed, with a sample reason."
      query       = "SELECT rule, count(*) AS records, min(reason) AS sample_reason, min(approximateArrivalTimestamp) AS first, max(approximateArrivalTimestamp) AS last\nFROM \"${local.database}\".\"quarantine\"\nWHERE ${local.today}\nGROUP BY rule\nORDER BY records DESC\nLIMIT 100"
    }
    latest-records = {
      description = "Ten records of the current hour (UTC), to look at."
      query       = "SELECT *\nFROM \"${local.database}\".\"records\"\nWHERE ${local.today} AND hour = hour(current_timestamp)${local.key_filter}\nLIMIT 10"
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = local.named_queries

  name        = "${var.name}-${each.key}"
  description = each.value.description
  workgroup   = aws_athena_workgroup.this.id
  database    = aws_glue_catalog_database.this.name
  query       = each.value.query
}
