# The function module on its own: event source mapping settings, the handler's environment, the execution role's
# policy (read from the planned resources themselves: the policy is jsonencoded in the module, so what is decoded here
# is exactly what would be deployed) and the validation of its inputs. Runs that read computed values (ARNs) apply
# against the mock provider, which creates nothing: Terraform, unlike OpenTofu, keeps mocked computed values unknown
# in plan mode.

mock_provider "aws" {
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/k2s3-test" }
  }
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
}

variables {
  name        = "k2s3-test"
  zip_path    = "tests/fixtures/empty.zip" # an empty but valid zip: the plan only hashes it
  bucket_name = "k2s3-test-bucket"
  bucket_arn  = "arn:aws:s3:::k2s3-test-bucket"
  stream_arn  = "arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"
  dlq_arn     = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
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
    condition     = aws_lambda_event_source_mapping.this.maximum_retry_attempts == 10
    error_message = "Retries must be finite by default (10)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.maximum_record_age_in_seconds == 3600
    error_message = "Record age must be bounded by default (3600 s)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.destination_config[0].on_failure[0].destination_arn == var.dlq_arn
    error_message = "Failed batches must go to the DLQ."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this.event_source_arn == var.stream_arn && aws_lambda_event_source_mapping.this.function_name == aws_lambda_function.this.arn
    error_message = "The mapping must connect the stream to this function."
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
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/k2s3-test" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "The log group must be /aws/lambda/<name> with a 30-day retention."
  }
  assert {
    condition     = aws_lambda_function.this.role == aws_iam_role.this.arn && jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal == { Service = "lambda.amazonaws.com" }
    error_message = "The function must run with its own role, assumable only by Lambda."
  }

  # --- execution role policy: least privilege ---------------------------------------------------------------------
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
    alltrue([for a in s.Action : !strcontains(a, "*")])])
    error_message = "No action may contain a wildcard: ${aws_iam_role_policy.this.policy}"
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
    s.Effect == "Allow" && !can(s.NotAction) && !can(s.NotResource)])
    error_message = "Only plain Allow statements (no NotAction/NotResource) are expected."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if contains(s.Resource, "*")] == [["kinesis:ListStreams"]]
    error_message = "Only kinesis:ListStreams (which has no resource-level permissions) may use Resource \"*\"."
  }
  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid => { actions = s.Action, resources = s.Resource } } == {
      ReadStream = {
        actions   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]
        resources = ["arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"]
      }
      ListStreams = {
        actions   = ["kinesis:ListStreams"]
        resources = ["*"]
      }
      WriteObjects = {
        actions   = ["s3:PutObject"]
        resources = ["arn:aws:s3:::k2s3-test-bucket/kinesis/*", "arn:aws:s3:::k2s3-test-bucket/errors/*"]
      }
      SendFailureRecords = {
        actions   = ["sqs:SendMessage"]
        resources = ["arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"]
      }
      WriteLogs = {
        actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/k2s3-test:*"]
      }
    }
    error_message = "The policy must grant exactly: read this stream, list streams, put objects under the two prefixes, send to the DLQ, write to its log group (no KMS without customer managed keys). Got ${aws_iam_role_policy.this.policy}"
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
    starting_position                  = "AT_TIMESTAMP"
    starting_position_timestamp        = "2025-01-02T15:04:05Z"
    batch_size                         = 10000
    maximum_batching_window_in_seconds = 300
    parallelization_factor             = 10
    maximum_retry_attempts             = 0
    maximum_record_age_in_seconds      = 60
    filter_patterns                    = ["{\"data\":{\"type\":[\"order\"]}}"]
    esm_metrics                        = []
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
    })
    error_message = "The environment must follow the variables."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "WriteObjects"]) == ["arn:aws:s3:::k2s3-test-bucket/data/raw/*", "arn:aws:s3:::k2s3-test-bucket/quarantine/*"]
    error_message = "s3:PutObject must follow key_prefix and error_prefix."
  }
  assert {
    condition = (
      aws_lambda_event_source_mapping.this.starting_position == "AT_TIMESTAMP" &&
      aws_lambda_event_source_mapping.this.starting_position_timestamp == "2025-01-02T15:04:05Z" &&
      aws_lambda_event_source_mapping.this.batch_size == 10000 &&
      aws_lambda_event_source_mapping.this.maximum_batching_window_in_seconds == 300 &&
      aws_lambda_event_source_mapping.this.parallelization_factor == 10 &&
      aws_lambda_event_source_mapping.this.maximum_retry_attempts == 0 &&
      aws_lambda_event_source_mapping.this.maximum_record_age_in_seconds == 60
    )
    error_message = "The mapping must follow the variables."
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
    condition     = aws_lambda_function.this.logging_config[0].application_log_level == "DEBUG" && aws_cloudwatch_log_group.this.retention_in_days == 7
    error_message = "Log level and retention must follow the variables."
  }
  assert {
    condition     = aws_lambda_function.this.memory_size == 1769 && aws_lambda_function.this.timeout == 900 && aws_lambda_function.this.reserved_concurrent_executions == 4 && aws_lambda_event_source_mapping.this.enabled == false
    error_message = "Memory, timeout, reserved concurrency and the mapping's enabled flag must follow the variables."
  }
}

run "customer_managed_keys" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    stream_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    bucket_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    dlq_kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
  }

  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid => s if startswith(s.Action[0], "kms:") } == {
      DecryptStream = {
        Sid       = "DecryptStream"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"]
        Condition = { StringEquals = { "kms:ViaService" = "kinesis.eu-west-1.amazonaws.com" } }
      }
      EncryptObjects = {
        Sid       = "EncryptObjects"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"]
        Condition = { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } }
      }
      EncryptFailureRecords = {
        Sid       = "EncryptFailureRecords"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"]
        Condition = { StringEquals = { "kms:ViaService" = "sqs.eu-west-1.amazonaws.com" } }
      }
    }
    error_message = "KMS permissions must name only the keys in use, each limited to its service. Got ${aws_iam_role_policy.this.policy}"
  }
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

run "rejects_error_prefix_equal_to_key_prefix" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    key_prefix   = "data/"
    error_prefix = "data/"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_out_of_range_mapping_settings" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    batch_size                         = 10001
    maximum_batching_window_in_seconds = 301
    parallelization_factor             = 0
    maximum_retry_attempts             = -2
    maximum_record_age_in_seconds      = 30
  }

  expect_failures = [
    var.batch_size,
    var.maximum_batching_window_in_seconds,
    var.parallelization_factor,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
  ]
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

run "rejects_wildcard_resources" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    stream_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/*"
    bucket_arn = "*"
    dlq_arn    = "arn:aws:sqs:eu-west-1:123456789012:*"
  }

  expect_failures = [var.stream_arn, var.bucket_arn, var.dlq_arn]
}

run "rejects_values_below_the_ranges" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    memory_size                        = 127
    timeout                            = 0
    reserved_concurrent_executions     = -1
    upload_concurrency                 = 0
    batch_size                         = 0
    maximum_batching_window_in_seconds = -1
    parallelization_factor             = 0
    maximum_retry_attempts             = -2
    maximum_record_age_in_seconds      = 59
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
  ]
}

run "rejects_values_above_the_ranges" {
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
    filter_patterns                    = ["{}", "{}", "{}", "{}", "{}", "{}"]
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
    var.filter_patterns,
  ]
}

run "rejects_fractions" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    memory_size                    = 512.5
    timeout                        = 1.5
    reserved_concurrent_executions = 1.5
    upload_concurrency             = 1.5
    batch_size                     = 10.5
    parallelization_factor         = 1.5
    maximum_record_age_in_seconds  = 60.5
  }

  expect_failures = [
    var.memory_size,
    var.timeout,
    var.reserved_concurrent_executions,
    var.upload_concurrency,
    var.batch_size,
    var.parallelization_factor,
    var.maximum_record_age_in_seconds,
  ]
}

run "rejects_unknown_modes" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    output_mode       = "batches"
    compression       = "lz4"
    on_invalid_record = "drop"
    starting_position = "EARLIEST"
    log_level         = "VERBOSE"
    esm_metrics       = ["ErrorCount"]
  }

  expect_failures = [var.output_mode, var.compression, var.on_invalid_record, var.starting_position, var.log_level, var.esm_metrics]
}

run "rejects_bad_names_paths_and_settings" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    name                        = "k2s3 test"
    zip_path                    = "build/bootstrap"
    log_retention_days          = 10
    key_prefix                  = "/kinesis/"
    error_prefix                = ""
    starting_position_timestamp = "yesterday"
    filter_patterns             = ["not json"]
  }

  expect_failures = [var.name, var.zip_path, var.log_retention_days, var.key_prefix, var.error_prefix, var.starting_position_timestamp, var.filter_patterns]
}

run "rejects_bad_keys" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    log_kms_key_arn    = "alias/aws/logs"
    bucket_kms_key_arn = "alias/aws/s3"
    stream_kms_key_arn = "alias/aws/kinesis"
    dlq_kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:alias/dlq"
  }

  expect_failures = [var.log_kms_key_arn, var.bucket_kms_key_arn, var.stream_kms_key_arn, var.dlq_kms_key_arn]
}
