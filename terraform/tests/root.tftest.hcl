# The root stack: how the modules are wired to each other, its outputs, and the validation of the inputs it owns.
# Each pass-through input is validated by its module (see the module tests); that a bad value at the root fails with
# the module's message, and that every input reaches its resource, is checked by test/terraform_plan_test.go, which
# sees the whole plan. Runs that read computed values (ARNs) apply against the mock provider, which creates nothing.

mock_provider "aws" {
  mock_resource "aws_kinesis_stream" {
    defaults = { arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/kinesis2s3" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::kinesis2s3-20250102", id = "kinesis2s3-20250102", bucket = "kinesis2s3-20250102" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:kinesis2s3-on-failure"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/kinesis2s3-on-failure"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:kinesis2s3" }
  }
  mock_resource "aws_lambda_event_source_mapping" {
    defaults = { uuid = "11111111-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/kinesis2s3-20250102" }
  }
  mock_resource "aws_iam_policy" {
    defaults = { arn = "arn:aws:iam::123456789012:policy/kinesis2s3-redrive-20250102" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:kinesis2s3-alarms" }
  }
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  function_zip_path = "tests/fixtures/empty.zip" # an empty but valid zip: the plan only hashes it
}

run "wiring_with_the_on_failure_queue" {
  command = apply

  variables {
    redrive_operator_modes = ["invoke"]
  }

  assert {
    condition     = module.function.on_failure_destination_arn == module.dlq[0].arn && output.on_failure_destination_arn == module.dlq[0].arn
    error_message = "By default the mapping's on-failure destination must be the stack's queue."
  }
  assert {
    condition = { for s in jsondecode(module.function.role_policy_json).Statement : s.Sid => s.Resource if s.Sid != "WriteLogs" } == {
      ReadStream          = [module.stream.arn]
      WriteObjects        = ["${module.bucket.arn}/kinesis/*", "${module.bucket.arn}/errors/*"]
      ReadProgressMarkers = ["${module.bucket.arn}/errors/_progress/*"]
      SendFailureRecords  = [module.dlq[0].arn]
    }
    error_message = "The function may read only the stack's stream, write only under the data and error prefixes of the stack's bucket, and send only to the stack's queue; without customer managed keys it gets no KMS permission. Got ${module.function.role_policy_json}"
  }
  assert {
    condition     = module.function.environment["BUCKET_NAME"] == module.bucket.name && module.function.environment["OUTPUT_MODE"] == "record"
    error_message = "The function must write to the stack's bucket, in record mode by default."
  }
  assert {
    condition = (
      module.stream.name == "kinesis2s3" && module.function.function_name == "kinesis2s3" && module.dlq[0].name == "kinesis2s3-on-failure" &&
      output.stream_name == module.stream.name && output.stream_arn == module.stream.arn &&
      output.bucket_name == module.bucket.name && output.bucket_arn == module.bucket.arn &&
      output.dlq_url == module.dlq[0].url && output.dlq_arn == module.dlq[0].arn && output.failed_batches_s3_uri == null &&
      output.function_name == module.function.function_name && output.function_arn == module.function.function_arn &&
      output.log_group_name == "/aws/lambda/kinesis2s3" && output.role_arn == module.function.role_arn &&
      output.event_source_mapping_uuid == module.function.event_source_mapping_uuid && output.stream_consumer_arn == null
    )
    error_message = "The stack's resources must be named after var.name, and the outputs must expose them."
  }
  assert {
    condition = output.alarm_names == tomap({
      "destination-delivery-failures" = "kinesis2s3-destination-delivery-failures"
      "dlq-age"                       = "kinesis2s3-dlq-age"
      "dlq-not-empty"                 = "kinesis2s3-dlq-not-empty"
      "dropped-events"                = "kinesis2s3-dropped-events"
      "errors"                        = "kinesis2s3-errors"
      "failed-invoke-events"          = "kinesis2s3-failed-invoke-events"
      "iterator-age"                  = "kinesis2s3-iterator-age"
      "records-quarantined"           = "kinesis2s3-records-quarantined"
      "throttles"                     = "kinesis2s3-throttles"
    })
    error_message = "Every alarm for a stack with an on-failure queue must be created by default, named after the stack."
  }
  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:kinesis2s3-alarms" && output.dashboard_name == "kinesis2s3-eu-west-1"
    error_message = "The alarm topic and the dashboard must be created by default."
  }
  assert {
    condition = output.redrive_operator_policy_arn == "arn:aws:iam::123456789012:policy/kinesis2s3-redrive-20250102" && {
      for s in jsondecode(module.redrive_operator.policy_json).Statement : s.Sid => s.Resource if contains(["ReadFailureRecords", "ReadStream", "InvokeFunction"], s.Sid)
      } == {
      ReadFailureRecords = [module.dlq[0].arn]
      ReadStream         = [module.stream.arn]
      InvokeFunction     = [module.function.function_arn, "${module.function.function_arn}:*"]
    }
    error_message = "The redrive operator policy must be created for the configured modes, on the stack's queue, stream and function."
  }
}

run "wiring_with_failed_batches_in_s3" {
  command = apply

  variables {
    on_failure_destination = "s3"
    bucket_sse_algorithm   = "aws:kms"
    bucket_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    redrive_operator_modes = ["dry-run"]
  }

  assert {
    condition     = module.function.on_failure_destination_arn == module.bucket.arn && length(module.dlq) == 0 && output.dlq_url == null && output.dlq_arn == null
    error_message = "With on_failure_destination = s3 the mapping must send failed batches to the data bucket, and there must be no queue."
  }
  assert {
    condition = { for s in jsondecode(module.function.role_policy_json).Statement : s.Sid => s.Resource if contains(["WriteFailedBatches", "ListFailedBatchBucket", "EncryptFailureRecords"], s.Sid) } == {
      WriteFailedBatches    = ["${module.bucket.arn}/aws/lambda/*"]
      ListFailedBatchBucket = [module.bucket.arn]
      EncryptFailureRecords = ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
    }
    error_message = "The role must be able to write failed batches under aws/lambda/ in the data bucket, with the bucket's key. Got ${module.function.role_policy_json}"
  }
  assert {
    condition     = output.failed_batches_s3_uri == "s3://kinesis2s3-20250102/aws/lambda/11111111-2222-3333-4444-555555555555/"
    error_message = "The output must say where the failed batches are."
  }
  assert {
    condition     = contains(keys(output.alarm_names), "failed-batches-in-s3") && !contains(keys(output.alarm_names), "dlq-not-empty")
    error_message = "With failed batches in S3 the alarms must watch those instead of a queue."
  }
  assert {
    condition = { for s in jsondecode(module.redrive_operator.policy_json).Statement : s.Sid => s.Resource } == {
      ListFailedBatches = [module.bucket.arn]
      ReadFailedBatches = ["${module.bucket.arn}/aws/lambda/*"]
      DecryptS3         = ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
    }
    error_message = "The redrive operator policy must read the failed batches in the data bucket, with the bucket's key."
  }
}

run "failed_batches_in_a_bucket_of_their_own" {
  command = apply

  variables {
    on_failure_destination    = "s3"
    on_failure_s3_bucket_arn  = "arn:aws:s3:::k2s3-failed-batches"
    on_failure_s3_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/77777777-7777-7777-7777-777777777777"
  }

  assert {
    condition = (
      module.function.on_failure_destination_arn == "arn:aws:s3:::k2s3-failed-batches" &&
      output.failed_batches_s3_uri == "s3://k2s3-failed-batches/aws/lambda/11111111-2222-3333-4444-555555555555/" &&
      one([for s in jsondecode(module.function.role_policy_json).Statement : s.Resource if s.Sid == "EncryptFailureRecords"]) == ["arn:aws:kms:eu-west-1:123456789012:key/77777777-7777-7777-7777-777777777777"]
    )
    error_message = "A bucket of their own, with its key, must be the destination."
  }
}

run "customer_managed_keys_reach_the_role" {
  command = apply

  variables {
    stream_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    bucket_sse_algorithm = "aws:kms"
    bucket_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    dlq_kms_key_arn      = "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
    key_prefix           = "data/"
    error_prefix         = "bad/"
    alarms_enabled       = false
  }

  assert {
    condition = { for s in jsondecode(module.function.role_policy_json).Statement : s.Sid => s.Resource if startswith(s.Action[0], "kms:") } == {
      DecryptStream         = ["arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"]
      EncryptObjects        = ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
      EncryptFailureRecords = ["arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"]
    }
    error_message = "Each customer managed key must reach the role, and only those."
  }
  assert {
    condition     = one([for s in jsondecode(module.function.role_policy_json).Statement : s.Resource if s.Sid == "WriteObjects"]) == ["${module.bucket.arn}/data/*", "${module.bucket.arn}/bad/*"]
    error_message = "The S3 grant must follow key_prefix and error_prefix."
  }
  assert {
    condition     = output.alarm_names == {} && output.alarm_topic_arn == null && output.dashboard_name == null && output.redrive_operator_policy_arn == null
    error_message = "alarms_enabled = false must create no alarm, topic or dashboard; no redrive_operator_modes, no policy."
  }
}

run "rejects_bad_root_inputs" {
  command = plan

  variables {
    name                     = "Kinesis_2_S3"
    tags                     = { "aws:created-by" = "me" }
    on_failure_destination   = "sns"
    on_failure_s3_bucket_arn = "arn:aws:sqs:eu-west-1:123456789012:q"
  }

  expect_failures = [var.name, var.tags, var.on_failure_destination, var.on_failure_s3_bucket_arn]
}

# The S3 destination's settings would do nothing with the queue: the plan fails rather than ignore them.
run "rejects_s3_destination_settings_with_sqs" {
  command = plan

  variables {
    on_failure_s3_bucket_arn  = "arn:aws:s3:::k2s3-failed-batches"
    on_failure_s3_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/77777777-7777-7777-7777-777777777777"
  }

  expect_failures = [output.on_failure_destination_arn]
}

# With the data bucket as the destination, the data bucket's key is used: another key would be ignored.
run "rejects_a_destination_key_without_its_bucket" {
  command = plan

  variables {
    on_failure_destination    = "s3"
    on_failure_s3_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/77777777-7777-7777-7777-777777777777"
  }

  expect_failures = [output.on_failure_destination_arn]
}

run "rejects_a_destination_key_that_is_no_key" {
  command = plan

  variables {
    on_failure_destination    = "s3"
    on_failure_s3_bucket_arn  = "arn:aws:s3:::k2s3-failed-batches"
    on_failure_s3_kms_key_arn = "alias/failed-batches"
  }

  expect_failures = [var.on_failure_s3_kms_key_arn]
}

# --- examples/: each planned as a user would deploy it ----------------------------------------------------------

run "example_minimal" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  variables {
    alarm_email_addresses = ["oncall@example.com"]
  }

  assert {
    condition     = output.stream_name == "kinesis2s3-minimal"
    error_message = "The minimal example must plan the stack under its name."
  }
}

run "example_customer_managed_keys" {
  command = apply

  module {
    source = "./examples/customer-managed-keys"
  }

  override_resource {
    target = aws_kms_key.data
    values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-0000-0000-0000-000000000000" }
  }
  override_resource {
    target = aws_kms_key.logs
    values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/bbbbbbbb-0000-0000-0000-000000000000" }
  }

  assert {
    condition = jsondecode(aws_kms_key.data.policy).Statement == [{
      Sid       = "EnableIAMPolicies"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
    error_message = "The data key must hand access to IAM, whose policies (the function's role, the redrive operators') grant it through Kinesis, S3 and SQS. Got ${aws_kms_key.data.policy}"
  }
  assert {
    condition = one([for s in jsondecode(aws_kms_key.logs.policy).Statement : s if s.Sid == "AllowCloudWatchLogs"]) == {
      Sid       = "AllowCloudWatchLogs"
      Effect    = "Allow"
      Principal = { Service = "logs.eu-west-1.amazonaws.com" }
      Action    = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
      Resource  = "*"
      Condition = { ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:eu-west-1:123456789012:log-group:${module.kinesis2s3.log_group_name}" } }
    }
    error_message = "The logs key must let CloudWatch Logs use it for the function's log group, and for nothing else. Got ${aws_kms_key.logs.policy}"
  }
  assert {
    condition     = aws_kms_key.data.enable_key_rotation && aws_kms_key.logs.enable_key_rotation
    error_message = "Every key must rotate."
  }
  assert {
    condition     = output.redrive_operator_policy_arn != null
    error_message = "The example must create the redrive operators' policy."
  }
}

run "example_enhanced_fan_out" {
  command = apply

  module {
    source = "./examples/enhanced-fan-out"
  }

  override_resource {
    target = aws_kinesis_stream_consumer.analytics
    values = { arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/kinesis2s3/consumer/kinesis2s3-efo-analytics:1735830245" }
  }

  assert {
    condition     = output.function_consumer_arn != null && output.function_consumer_arn != output.analytics_consumer_arn && aws_kinesis_stream_consumer.analytics.stream_arn == output.stream_arn
    error_message = "The function must read through a consumer of its own, beside the other application's consumer on the same stream."
  }
}

run "example_batch_athena" {
  command = plan

  module {
    source = "./examples/batch-athena"
  }

  assert {
    condition     = output.stream_name == "orders-athena" && output.athena.database == "orders_athena" && output.athena.records_table == "records"
    error_message = "The batch-athena example must plan the stack with its catalog, under the names its query (orders_athena.records) uses. Got ${jsonencode(output.athena)}"
  }
}

run "analytics_and_catalog" {
  command = plan

  variables {
    output_mode          = "batch"
    compression          = "zstd"
    format               = "parquet"
    schema_file          = "examples/batch-athena/orders.schema.json"
    transform            = "del(.customer.email)"
    time_field           = ".created_at"
    partition_keys       = "country=.customer.address.country"
    partition_projection = { country = { type = "enum", values = ["DE", "FR"] } }
  }

  assert {
    condition = (
      module.function.environment["FORMAT"] == "parquet" && module.function.environment["PARTITION_KEYS"] == "country=.customer.address.country" &&
      startswith(module.function.environment["SCHEMA"], "s3://${module.bucket.name}/schemas/")
    )
    error_message = "The analytics settings must reach the function, with SCHEMA the uploaded schema's URI in the stack's bucket."
  }
  assert {
    condition = (
      length(module.catalog) == 1 &&
      [for c in module.catalog[0].partition_columns : c.name] == ["country", "year", "month", "day", "hour"] &&
      strcontains(module.catalog[0].location_template, "/kinesis/country=$${country}/year=") &&
      contains([for c in module.catalog[0].columns : c.name], "_extra") &&
      output.athena.database == module.catalog[0].database_name
    )
    error_message = "In batch mode the catalog covers the stack's bucket with the function's partition keys and the schema's columns."
  }
}

# The root tells the catalog which other prefixes of the bucket are taken: the function's schema_prefix, and
# aws/lambda/, where Lambda writes failed batches when the bucket is the S3 on-failure destination.
run "athena_results_outside_the_schema_and_failed_batches" {
  command = plan

  variables {
    output_mode = "batch"
  }

  assert {
    condition = module.catalog[0].results_kept_clear_of == {
      key_prefix                                   = "kinesis/"
      error_prefix                                 = "errors/"
      schema_prefix                                = "schemas/"
      "failed batches (S3 on-failure destination)" = "aws/lambda/"
    }
    error_message = "The catalog must keep results_prefix clear of the schema's prefix and the failed batches', besides the tables'. Got ${jsonencode(module.catalog[0].results_kept_clear_of)}"
  }
}

# Under the tables, an archive tier needs the opt-in (that a plan without it fails is test/terraform_plan_test.go's:
# a test here cannot expect a failure inside a module); without tables it needs none.
run "archived_data_under_the_tables_when_opted_into" {
  command = plan

  variables {
    output_mode              = "batch"
    transition_days          = 90
    transition_storage_class = "GLACIER"
    allow_archive_transition = true
  }

  assert {
    condition     = length(module.catalog) == 1
    error_message = "allow_archive_transition = true must let the data under the tables move to GLACIER."
  }
}

run "archived_data_without_tables" {
  command = plan

  variables {
    transition_days          = 180
    transition_storage_class = "DEEP_ARCHIVE"
  }

  assert {
    condition     = length(module.catalog) == 0
    error_message = "Record mode has no tables: DEEP_ARCHIVE needs no opt-in."
  }
}

run "no_catalog_in_record_mode" {
  command = plan

  assert {
    condition     = length(module.catalog) == 0 && output.athena == null
    error_message = "Record mode has no catalog: a table over one object per record would serve no one."
  }
}

# pipelinectl redrive -mode direct -config-from-function runs the function's code on the operator's machine with the
# function's environment: with a schema, shape.Load reads SCHEMA (s3://<bucket>/schemas/...) with the operator's
# credentials before it writes anything (cmd/pipelinectl/redrive.go). The operator policy must allow that read, and
# the Decrypt of the bucket's key that comes with it.
run "redrive_direct_reads_the_functions_schema" {
  command = apply

  variables {
    output_mode            = "batch"
    schema_file            = "examples/batch-athena/orders.schema.json"
    bucket_sse_algorithm   = "aws:kms"
    bucket_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-0000-0000-0000-000000000000"
    redrive_operator_modes = ["direct"]
  }

  assert {
    condition = anytrue([for s in jsondecode(module.redrive_operator.policy_json).Statement :
      contains(flatten([s.Action]), "s3:GetObject") && contains(flatten([s.Resource]), "${module.bucket.arn}/${trimprefix(module.function.environment["SCHEMA"], "s3://${module.bucket.name}/")}")
    ])
    error_message = "Direct mode reads the function's SCHEMA (${module.function.environment["SCHEMA"]}) from the bucket: the redrive operator policy must allow s3:GetObject on it. Got ${module.redrive_operator.policy_json}"
  }
  assert {
    condition = anytrue([for s in jsondecode(module.redrive_operator.policy_json).Statement :
      contains(flatten([s.Action]), "kms:Decrypt") && contains(flatten([s.Resource]), module.bucket.kms_key_arn)
    ])
    error_message = "Reading the schema from an SSE-KMS bucket needs kms:Decrypt on the bucket's key. Got ${module.redrive_operator.policy_json}"
  }
  assert {
    condition = one([for s in jsondecode(module.redrive_operator.policy_json).Statement : s.Resource if s.Sid == "ReadProgressMarkers"]) == one([
      for s in jsondecode(module.function.role_policy_json).Statement : s.Resource if s.Sid == "ReadProgressMarkers"
    ])
    error_message = "Direct mode resumes a large KPL aggregate from the function's progress markers: the operator policy must let it read the markers the function reads, and no other. Got ${module.redrive_operator.policy_json}"
  }
}
