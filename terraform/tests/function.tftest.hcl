# The function module on its own: event source mapping settings, the handler's environment, the execution role's
# policy (read from the planned resources themselves: the policy is jsonencoded in the module, so what is decoded here
# is exactly what would be deployed) and the validation of its inputs. Runs that read computed values (ARNs) apply
# against the mock provider, which creates nothing: Terraform, unlike OpenTofu, keeps mocked computed values unknown
# in plan mode.

mock_provider "aws" {
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/k2s3-test" }
  }
  mock_resource "aws_kinesis_stream_consumer" {
    defaults = { arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test/consumer/k2s3-test:1735830245" }
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
  name                       = "k2s3-test"
  zip_path                   = "tests/fixtures/empty.zip" # an empty but valid zip: the plan only hashes it
  bucket_name                = "k2s3-test-bucket"
  bucket_arn                 = "arn:aws:s3:::k2s3-test-bucket"
  stream_arn                 = "arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"
  stream_retention_hours     = 168
  on_failure_destination_arn = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
}

run "defaults" {
  command = apply

  module {
    source = "./modules/function"
  }

  # --- event source mapping -------------------------------------------------------------------------------------
  assert {
    condition     = aws_lambda_event_source_mapping.this.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must let the handler report partial batch failures (ReportBatchItemFailures), and only that."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.bisect_batch_on_function_error == true
    error_message = "The mapping must bisect a batch whose invocation fails."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.maximum_retry_attempts == 10 && aws_lambda_event_source_mapping.this.maximum_record_age_in_seconds == 3600
    error_message = "Retries (10) and record age (3600 s) must be bounded by default."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.destination_config[0].on_failure[0].destination_arn == var.on_failure_destination_arn
    error_message = "Failed batches must go to the on-failure destination."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.event_source_arn == var.stream_arn && aws_lambda_event_source_mapping.this.function_name == aws_lambda_function.this.arn
    error_message = "The mapping must connect the stream itself (no enhanced fan-out by default) to this function."
  }
  assert {
    condition = (
      aws_lambda_event_source_mapping.this.starting_position == "TRIM_HORIZON" &&
      aws_lambda_event_source_mapping.this.starting_position_timestamp == null &&
      aws_lambda_event_source_mapping.this.batch_size == 500 &&
      aws_lambda_event_source_mapping.this.maximum_batching_window_in_seconds == 5 &&
      aws_lambda_event_source_mapping.this.parallelization_factor == 1 &&
      aws_lambda_event_source_mapping.this.enabled == true
    )
    error_message = "Unexpected mapping defaults (TRIM_HORIZON, batch 500, window 5 s, parallelization 1, enabled)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.metrics_config[0].metrics == toset(["EventCount"]) && length(aws_lambda_event_source_mapping.this.filter_criteria) == 0
    error_message = "By default the mapping publishes EventCount metrics and filters nothing."
  }
  assert {
    condition     = length(aws_kinesis_stream_consumer.this) == 0 && output.stream_consumer_arn == null && output.event_source_arn == var.stream_arn
    error_message = "No enhanced fan-out consumer by default."
  }

  # --- function ---------------------------------------------------------------------------------------------------
  assert {
    condition = (
      aws_lambda_function.this.runtime == "provided.al2023" &&
      aws_lambda_function.this.architectures == tolist(["arm64"]) &&
      aws_lambda_function.this.handler == "bootstrap"
    )
    error_message = "The function must run the Go bootstrap on provided.al2023, arm64."
  }
  assert {
    condition     = aws_lambda_function.this.filename == var.zip_path && aws_lambda_function.this.source_code_hash == filebase64sha256(var.zip_path)
    error_message = "The function must deploy the given zip and track its hash (so a rebuilt zip is redeployed)."
  }
  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      BUCKET_NAME        = "k2s3-test-bucket"
      OUTPUT_MODE        = "record"
      KEY_PREFIX         = "kinesis/"
      COMPRESSION        = "gzip"
      ERROR_PREFIX       = "errors/"
      ON_INVALID_RECORD  = "quarantine"
      UPLOAD_CONCURRENCY = "64"
      SCHEMA             = ""
      TRANSFORM          = ""
      TIME_FIELD         = ""
      PARTITION_KEYS     = ""
      MAX_PARTITIONS     = "100"
      FORMAT             = "jsonl"
    })
    error_message = "The environment must carry the handler contract with its documented defaults."
  }
  assert {
    condition = (
      aws_lambda_function.this.logging_config[0].log_format == "JSON" &&
      aws_lambda_function.this.logging_config[0].log_group == aws_cloudwatch_log_group.this.name &&
      aws_lambda_function.this.logging_config[0].application_log_level == "INFO" &&
      aws_lambda_function.this.logging_config[0].system_log_level == "WARN"
    )
    error_message = "The function must log JSON at INFO into its own log group, with Lambda's platform logs at WARN."
  }
  assert {
    condition = (
      aws_lambda_function.this.function_name == "k2s3-test" &&
      aws_lambda_function.this.memory_size == 512 &&
      aws_lambda_function.this.timeout == 60 &&
      aws_lambda_function.this.reserved_concurrent_executions == null
    )
    error_message = "The function must be named after the module's name, with 512 MB, a 60 s timeout and no reserved concurrency by default."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/k2s3-test" && aws_cloudwatch_log_group.this.retention_in_days == 30 && aws_cloudwatch_log_group.this.kms_key_id == null
    error_message = "The log group must be /aws/lambda/<name> with a 30-day retention."
  }

  # --- execution role: least privilege ----------------------------------------------------------------------------
  assert {
    condition = aws_lambda_function.this.role == aws_iam_role.this.arn && jsondecode(aws_iam_role.this.assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = "123456789012" } }
      }]
    }
    error_message = "The function must run with its own role, assumable only by Lambda acting for this account (aws:SourceAccount). Got ${aws_iam_role.this.assume_role_policy}"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [
      {
        Sid      = "ReadStream"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]
        Resource = ["arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"]
      },
      {
        Sid       = "WriteObjects"
        Effect    = "Allow"
        Action    = ["s3:PutObject"]
        Resource  = ["arn:aws:s3:::k2s3-test-bucket/kinesis/*", "arn:aws:s3:::k2s3-test-bucket/errors/*"]
        Condition = { StringEquals = { "s3:ResourceAccount" = "123456789012" } }
      },
      {
        Sid       = "ReadProgressMarkers"
        Effect    = "Allow"
        Action    = ["s3:GetObject"]
        Resource  = ["arn:aws:s3:::k2s3-test-bucket/errors/_progress/*"]
        Condition = { StringEquals = { "s3:ResourceAccount" = "123456789012" } }
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/k2s3-test:*"]
      },
      {
        Sid      = "SendFailureRecords"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = ["arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"]
      },
    ]
    error_message = "The policy must grant exactly: read this stream, put objects under the two prefixes of this account's bucket and read back its own progress markers, write to its log group, send to the on-failure queue; no kinesis:ListStreams (the mapping does not need it), no KMS without customer managed keys, no wildcard. Got ${aws_iam_role_policy.this.policy}"
  }

  # --- outputs --------------------------------------------------------------------------------------------------
  assert {
    condition = (
      output.key_prefix == "kinesis/" && output.error_prefix == "errors/" && output.maximum_record_age_in_seconds == 3600 &&
      output.event_source_mapping_metrics == tolist(["EventCount"]) && output.on_failure_destination_arn == var.on_failure_destination_arn &&
      output.role_policy_json == aws_iam_role_policy.this.policy
    )
    error_message = "The outputs must hand on the resolved settings the other modules need."
  }
}

run "settings_follow_variables" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    memory_size                        = 1769
    timeout                            = 900
    reserved_concurrent_executions     = 4
    enabled                            = false
    output_mode                        = "batch"
    key_prefix                         = "data/raw/"
    compression                        = "zstd"
    error_prefix                       = "quarantine/"
    on_invalid_record                  = "fail"
    upload_concurrency                 = 8
    log_level                          = "DEBUG"
    log_retention_days                 = 7
    log_kms_key_arn                    = "arn:aws:kms:eu-west-1:123456789012:key/44444444-4444-4444-4444-444444444444"
    starting_position                  = "AT_TIMESTAMP"
    starting_position_timestamp        = "2025-01-02T15:04:05Z"
    batch_size                         = 10000
    maximum_batching_window_in_seconds = 300
    parallelization_factor             = 10
    maximum_retry_attempts             = -1
    maximum_record_age_in_seconds      = 60
    filter_patterns                    = ["{\"data\":{\"type\":[\"order\"]}}"]
    esm_metrics                        = []
    format                             = "parquet"
    schema_file                        = "examples/batch-athena/orders.schema.json"
    transform                          = "del(.card)"
    time_field                         = ".created_at"
    partition_keys                     = "country=.customer.address.country"
    max_partitions                     = 20
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      BUCKET_NAME        = "k2s3-test-bucket"
      OUTPUT_MODE        = "batch"
      KEY_PREFIX         = "data/raw/"
      COMPRESSION        = "zstd"
      ERROR_PREFIX       = "quarantine/"
      ON_INVALID_RECORD  = "fail"
      UPLOAD_CONCURRENCY = "8"
      SCHEMA             = "s3://k2s3-test-bucket/schemas/k2s3-test-${substr(filesha256("examples/batch-athena/orders.schema.json"), 0, 16)}.json"
      TRANSFORM          = "del(.card)"
      TIME_FIELD         = ".created_at"
      PARTITION_KEYS     = "country=.customer.address.country"
      MAX_PARTITIONS     = "20"
      FORMAT             = "parquet"
    })
    error_message = "The environment must follow the variables; SCHEMA is the uploaded schema's S3 URI."
  }
  assert {
    condition = (
      aws_s3_object.schema[0].bucket == "k2s3-test-bucket" && aws_s3_object.schema[0].source == "examples/batch-athena/orders.schema.json" &&
      one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadSchema"]) == {
        Sid       = "ReadSchema"
        Effect    = "Allow"
        Action    = ["s3:GetObject"]
        Resource  = ["arn:aws:s3:::k2s3-test-bucket/${aws_s3_object.schema[0].key}"]
        Condition = { StringEquals = { "s3:ResourceAccount" = "123456789012" } }
      }
    )
    error_message = "schema_file must be uploaded to the bucket, and the role may read that one key."
  }
  assert {
    condition = (
      one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "WriteObjects"]) == ["arn:aws:s3:::k2s3-test-bucket/data/raw/*", "arn:aws:s3:::k2s3-test-bucket/quarantine/*"] &&
      one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "ReadProgressMarkers"]) == ["arn:aws:s3:::k2s3-test-bucket/quarantine/_progress/*"]
    )
    error_message = "s3:PutObject must follow key_prefix and error_prefix, and s3:GetObject the progress markers under error_prefix."
  }
  assert {
    condition = (
      aws_lambda_event_source_mapping.this.starting_position == "AT_TIMESTAMP" &&
      aws_lambda_event_source_mapping.this.starting_position_timestamp == "2025-01-02T15:04:05Z" &&
      aws_lambda_event_source_mapping.this.batch_size == 10000 &&
      aws_lambda_event_source_mapping.this.maximum_batching_window_in_seconds == 300 &&
      aws_lambda_event_source_mapping.this.parallelization_factor == 10 &&
      aws_lambda_event_source_mapping.this.maximum_retry_attempts == -1 &&
      aws_lambda_event_source_mapping.this.maximum_record_age_in_seconds == 60 &&
      aws_lambda_event_source_mapping.this.enabled == false
    )
    error_message = "The mapping must follow the variables (infinite retries are accepted: the record age bounds them)."
  }
  assert {
    condition     = [for f in aws_lambda_event_source_mapping.this.filter_criteria[0].filter : f.pattern] == ["{\"data\":{\"type\":[\"order\"]}}"] && length(aws_lambda_event_source_mapping.this.metrics_config) == 0
    error_message = "Filter patterns and metrics must follow the variables."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.bisect_batch_on_function_error == true && aws_lambda_event_source_mapping.this.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "Bisecting and partial batch responses are not configurable: they must stay on."
  }
  assert {
    condition = (
      aws_lambda_function.this.logging_config[0].application_log_level == "DEBUG" &&
      aws_cloudwatch_log_group.this.retention_in_days == 7 &&
      aws_cloudwatch_log_group.this.kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/44444444-4444-4444-4444-444444444444"
    )
    error_message = "Log level, retention and the log group's key must follow the variables."
  }
  assert {
    condition     = aws_lambda_function.this.memory_size == 1769 && aws_lambda_function.this.timeout == 900 && aws_lambda_function.this.reserved_concurrent_executions == 4
    error_message = "Memory, timeout and reserved concurrency must follow the variables."
  }
}

run "customer_managed_keys" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    stream_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    bucket_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    on_failure_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if startswith(s.Action[0], "kms:")] == [
      {
        Sid       = "DecryptStream"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"]
        Condition = { StringEquals = { "kms:ViaService" = "kinesis.eu-west-1.amazonaws.com" } }
      },
      {
        Sid       = "EncryptObjects"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
        Condition = { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } }
      },
      {
        Sid       = "EncryptFailureRecords"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"]
        Condition = { StringEquals = { "kms:ViaService" = "sqs.eu-west-1.amazonaws.com" } }
      },
    ]
    error_message = "KMS permissions must name only the keys in use, each limited to its service: Decrypt for the stream, a data key for PutObject and Decrypt for reading its progress markers, both for SendMessage to an SSE-KMS queue. Got ${aws_iam_role_policy.this.policy}"
  }
}

run "s3_on_failure_destination" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    on_failure_destination_arn = "arn:aws:s3:::k2s3-test-bucket"
    on_failure_kms_key_arn     = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  }

  assert {
    condition     = aws_lambda_event_source_mapping.this.destination_config[0].on_failure[0].destination_arn == "arn:aws:s3:::k2s3-test-bucket"
    error_message = "Failed batches must go to the bucket."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if contains(["WriteFailedBatches", "ListFailedBatchBucket", "EncryptFailureRecords", "SendFailureRecords"], s.Sid)] == [
      {
        Sid       = "WriteFailedBatches"
        Effect    = "Allow"
        Action    = ["s3:PutObject"]
        Resource  = ["arn:aws:s3:::k2s3-test-bucket/aws/lambda/*"]
        Condition = { StringEquals = { "s3:ResourceAccount" = "123456789012" } }
      },
      {
        Sid       = "ListFailedBatchBucket"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = ["arn:aws:s3:::k2s3-test-bucket"]
        Condition = { StringEquals = { "s3:ResourceAccount" = "123456789012" } }
      },
      {
        Sid       = "EncryptFailureRecords"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
        Condition = { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } }
      },
    ]
    error_message = "An S3 destination needs s3:PutObject under aws/lambda/ and s3:ListBucket on the bucket, both only in this account, and a data key from the bucket's key; no SQS. Got ${aws_iam_role_policy.this.policy}"
  }
  assert {
    condition     = flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if contains(s.Action, "s3:GetObject")]) == ["arn:aws:s3:::k2s3-test-bucket/errors/_progress/*"]
    error_message = "The function must not be able to read the failed batches: it reads nothing but its progress markers."
  }
}

run "enhanced_fan_out" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    enhanced_fan_out = true
  }

  assert {
    condition = (
      aws_kinesis_stream_consumer.this[0].name == "k2s3-test" &&
      aws_kinesis_stream_consumer.this[0].stream_arn == var.stream_arn &&
      aws_lambda_event_source_mapping.this.event_source_arn == aws_kinesis_stream_consumer.this[0].arn &&
      output.stream_consumer_arn == aws_kinesis_stream_consumer.this[0].arn
    )
    error_message = "With enhanced fan-out the mapping must read through a consumer of its own, named after the function."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadThroughConsumer"]) == {
      Sid      = "ReadThroughConsumer"
      Effect   = "Allow"
      Action   = ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
      Resource = ["arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test/consumer/k2s3-test:1735830245"]
    }
    error_message = "The role must be able to subscribe through that consumer, and only it. Got ${aws_iam_role_policy.this.policy}"
  }
}

run "accepts_a_record_age_that_ends_before_the_retention" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    stream_retention_hours        = 24
    timeout                       = 60
    maximum_record_age_in_seconds = 86339 # + 60 s of timeout = 86,399 s < 24 h
    maximum_retry_attempts        = -1
  }

  assert {
    condition     = aws_lambda_event_source_mapping.this.maximum_record_age_in_seconds == 86339
    error_message = "A record age that ends, with one invocation to spare, before the retention must be accepted."
  }
}

run "rejects_a_record_age_that_outlives_the_retention" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    stream_retention_hours        = 24
    timeout                       = 60
    maximum_record_age_in_seconds = 86340 # + 60 s of timeout = 24 h: a record can expire before the mapping gives up
  }

  expect_failures = [aws_lambda_event_source_mapping.this]
}

run "rejects_at_timestamp_without_timestamp" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    starting_position = "AT_TIMESTAMP"
  }

  expect_failures = [aws_lambda_event_source_mapping.this]
}

run "rejects_overlapping_prefixes" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    key_prefix   = "data/"
    error_prefix = "data/errors/"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_prefixes_over_the_failed_batches" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    on_failure_destination_arn = "arn:aws:s3:::k2s3-test-bucket"
    key_prefix                 = "aws/"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_missing_package" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    zip_path = "tests/fixtures/does-not-exist.zip"
  }

  expect_failures = [aws_lambda_function.this]
}

# Each variable listed in expect_failures must fail on its own ("Missing expected failure" otherwise), so one run
# checks many variables; a variable's lower bound, upper bound and fractions need a run each.
run "rejects_values_below_the_ranges_and_unknown_names" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    memory_size                        = 127
    timeout                            = 0
    reserved_concurrent_executions     = 0
    upload_concurrency                 = 0
    batch_size                         = 0
    maximum_batching_window_in_seconds = -1
    parallelization_factor             = 0
    maximum_retry_attempts             = -2
    maximum_record_age_in_seconds      = -1
    stream_retention_hours             = 23
    output_mode                        = "batches"
    compression                        = "lz4"
    on_invalid_record                  = "drop"
    starting_position                  = "EARLIEST"
    log_level                          = "VERBOSE"
    esm_metrics                        = ["ErrorCount"]
    name                               = "k2s3 test"
    zip_path                           = "build/bootstrap"
    log_retention_days                 = 10
    key_prefix                         = ""
    error_prefix                       = "/errors/"
    starting_position_timestamp        = "yesterday"
    filter_patterns                    = ["not json"]
  }

  expect_failures = [
    var.memory_size,
    var.timeout,
    var.reserved_concurrent_executions,
    var.upload_concurrency,
    var.batch_size,
    var.maximum_batching_window_in_seconds,
    var.parallelization_factor,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
    var.stream_retention_hours,
    var.output_mode,
    var.compression,
    var.on_invalid_record,
    var.starting_position,
    var.log_level,
    var.esm_metrics,
    var.name,
    var.zip_path,
    var.log_retention_days,
    var.key_prefix,
    var.error_prefix,
    var.starting_position_timestamp,
    var.filter_patterns,
  ]
}

run "rejects_values_above_the_ranges_and_bad_arns" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    memory_size                        = 10241
    timeout                            = 901
    upload_concurrency                 = 513
    batch_size                         = 10001
    maximum_batching_window_in_seconds = 301
    parallelization_factor             = 11
    maximum_retry_attempts             = 10001
    maximum_record_age_in_seconds      = 604801
    stream_retention_hours             = 8761
    filter_patterns                    = ["{}", "{}", "{}", "{}", "{}", "{}"]
    key_prefix                         = "/kinesis/"
    error_prefix                       = ""
    log_kms_key_arn                    = "alias/aws/logs"
    bucket_kms_key_arn                 = "alias/aws/s3"
    stream_kms_key_arn                 = "alias/aws/kinesis"
    on_failure_kms_key_arn             = "arn:aws:kms:eu-west-1:123456789012:alias/dlq"
    stream_arn                         = "arn:aws:kinesis:eu-west-1:123456789012:stream/*"
    bucket_arn                         = "*"
    on_failure_destination_arn         = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test.fifo"
  }

  expect_failures = [
    var.memory_size,
    var.timeout,
    var.upload_concurrency,
    var.batch_size,
    var.maximum_batching_window_in_seconds,
    var.parallelization_factor,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
    var.stream_retention_hours,
    var.filter_patterns,
    var.key_prefix,
    var.error_prefix,
    var.log_kms_key_arn,
    var.bucket_kms_key_arn,
    var.stream_kms_key_arn,
    var.on_failure_kms_key_arn,
    var.stream_arn,
    var.bucket_arn,
    var.on_failure_destination_arn,
  ]
}

run "rejects_fractions" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    memory_size                        = 512.5
    timeout                            = 1.5
    reserved_concurrent_executions     = 1.5
    upload_concurrency                 = 1.5
    batch_size                         = 10.5
    maximum_batching_window_in_seconds = 1.5
    parallelization_factor             = 1.5
    maximum_retry_attempts             = 1.5
    maximum_record_age_in_seconds      = 60.5
    on_failure_destination_arn         = "arn:aws:sns:eu-west-1:123456789012:k2s3-test"
  }

  expect_failures = [
    var.memory_size,
    var.timeout,
    var.reserved_concurrent_executions,
    var.upload_concurrency,
    var.batch_size,
    var.maximum_batching_window_in_seconds,
    var.parallelization_factor,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
    var.on_failure_destination_arn,
  ]
}

run "rejects_bad_analytics_settings" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    time_field     = "created_at"
    partition_keys = "tenant=.t,tenant=.u"
    max_partitions = 0
    format         = "orc"
    compression    = "lz4"
    schema_file    = "tests/fixtures/empty.zip"
  }

  expect_failures = [var.time_field, var.partition_keys, var.max_partitions, var.format, var.compression, var.schema_file]
}

# Review 20: partition keys may not be named like a column the tables have besides the schema's (the function refuses
# them at cold start: layout.ReservedPartitionNames).
run "rejects_a_partition_key_named_extra" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    format         = "parquet"
    schema_file    = "examples/batch-athena/orders.schema.json"
    partition_keys = "_extra=.source"
  }

  expect_failures = [var.partition_keys]
}

run "rejects_a_partition_key_named_line" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    partition_keys = "tenant=.tenant,line=.line"
  }

  expect_failures = [var.partition_keys]
}

run "rejects_analytics_in_record_mode" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "record"
    partition_keys = "tenant=.t"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_parquet_without_schema" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode = "batch"
    format      = "parquet"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_snappy_for_json_lines" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode = "batch"
    compression = "snappy"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_schema_under_the_data_prefix" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    schema_prefix = "kinesis/schemas/"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_an_environment_over_4_kb" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    transform = ". | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | . | ." # 4,401 characters of identity steps
  }

  expect_failures = [aws_lambda_function.this]
}

# The prefixes end up in the role's policy as "<bucket>/<prefix>*", where IAM reads * and ? as wildcards: key_prefix
# "*" grants s3:PutObject (and with error_prefix, s3:GetObject) on the whole bucket, the very thing a non-empty
# prefix is required for; "data?/" grants dataX/ for every X. The function writes the characters literally.
run "rejects_prefixes_that_iam_reads_as_wildcards" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    key_prefix   = "*"
    error_prefix = "errors?/"
  }

  expect_failures = [var.key_prefix, var.error_prefix]
}

# The function trims its variables (function/config: strings.TrimSpace), the role's policy does not: with
# key_prefix "kinesis/ " the function writes under kinesis/ and IAM allows only "kinesis/ *", so every write is
# denied, and the catalog's location has the space in it. Leading or trailing space must fail the plan.
run "rejects_prefixes_with_surrounding_space" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    key_prefix   = "kinesis/ "
    error_prefix = " errors/"
  }

  expect_failures = [var.key_prefix, var.error_prefix]
}

# FORMAT=parquet takes its columns from the schema's root properties: a root that is not "type": "object" fails every
# cold start (function/process.New: "SCHEMA must describe objects"). The catalog module checks this too, but only
# when it exists (catalog_enabled, batch mode); the function module must refuse it on its own.
run "rejects_parquet_with_a_schema_that_does_not_describe_objects" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode = "batch"
    format      = "parquet"
    schema_file = "tests/fixtures/array-root.schema.json"
  }

  expect_failures = [aws_lambda_function.this]
}

# Review 20: a root that is a "$ref" to an object definition (a bundled schema) describes objects: the function follows
# it (function/schema Columns), and so does the catalog module; the precondition must too (modules/schema).
run "parquet_with_a_root_reference_plans" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    format         = "parquet"
    compression    = "zstd"
    partition_keys = "tenant=.tenant"
    schema_file    = "tests/fixtures/column-refs.schema.json"
  }

  assert {
    condition     = startswith(aws_lambda_function.this.environment[0].variables.SCHEMA, "s3://k2s3-test-bucket/schemas/")
    error_message = "SCHEMA does not point at the uploaded schema."
  }
}

# An array index the path pattern admits but strconv.Atoi cannot read fails the cold start
# (transform.ParsePath: "array index ...: value out of range"); the variables share the pattern, so they let it through.
run "rejects_array_indexes_the_function_cannot_read" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    time_field     = ".events[99999999999999999999].at"
    partition_keys = "tenant=.tenants[99999999999999999999]"
  }

  expect_failures = [var.time_field, var.partition_keys]
}

# The function compiles SCHEMA at cold start without loading any other document (function/schema: "references to other
# documents are not supported; put the definitions in $defs"). A schema that points elsewhere fails every cold start;
# the plan checks only that the file is JSON.
run "rejects_a_schema_that_refers_to_other_documents" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode = "batch"
    schema_file = "tests/fixtures/external-ref.schema.json"
  }

  expect_failures = [var.schema_file]
}

# The function reads a pair's path after its first "=" (strings.Cut), so a quoted key may hold one; the plan must
# take what the function takes (a review found it split on every "=").
run "accepts_a_partition_path_with_an_equals_sign" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    partition_keys = "k=.[\"a=b\"]"
  }
}

# S3 takes keys of up to 1,024 bytes. The longest batch key without partition keys is the prefix and 302 bytes (time
# levels, a 128-character shard id, a 129-digit sequence number, .jsonl.zst); the function checks the same at cold
# start (function/config). ü is two bytes: the bound is in bytes, as S3 counts.
run "accepts_the_longest_keys" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    key_prefix     = "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüü"
    partition_keys = ""
  }
}

run "rejects_keys_too_long_for_s3" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    key_prefix     = "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüp"
    partition_keys = ""
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_partition_keys_too_long_for_s3" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode    = "batch"
    key_prefix     = "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
    partition_keys = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk0=.k0,kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk1=.k1,kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk2=.k2,kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk3=.k3,kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk4=.k4"
  }

  expect_failures = [aws_lambda_function.this]
}

# A quarantine key is the prefix and 297 bytes (time levels, shard id, sequence number, .json): one object per Kinesis
# record, an aggregate's too, so no user record's index; a progress marker's is shorter. function/config's
# TestTerraformKeyBoundariesAreTheFunctions loads the prefixes of these runs, and those above, with the same outcome.
run "accepts_the_longest_error_prefix" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    error_prefix = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
  }
}

run "rejects_an_error_prefix_too_long_for_s3" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    error_prefix = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
  }

  expect_failures = [aws_lambda_function.this]
}
