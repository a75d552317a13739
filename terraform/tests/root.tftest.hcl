# The root stack: modules wired to each other, outputs, and the validation of every user-facing variable.

mock_provider "aws" {
  mock_resource "aws_kinesis_stream" {
    defaults = { arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/kinesis2s3" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::kinesis2s3-20250102", id = "kinesis2s3-20250102" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:kinesis2s3-on-failure"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/kinesis2s3-on-failure"
    }
  }
}

variables {
  function_zip_path = "tests/fixtures/empty.zip" # an empty but valid zip: the plan only hashes it
}

run "wiring" {
  command = plan

  assert {
    condition     = module.function.on_failure_destination_arn == module.dlq.arn
    error_message = "The mapping's on-failure destination must be the stack's DLQ."
  }
  assert {
    condition     = one([for s in jsondecode(module.function.role_policy_json).Statement : s.Resource if s.Sid == "ReadStream"]) == [module.stream.arn]
    error_message = "The function may read only the stack's stream."
  }
  assert {
    condition     = one([for s in jsondecode(module.function.role_policy_json).Statement : s.Resource if s.Sid == "WriteObjects"]) == ["${module.bucket.arn}/kinesis/*", "${module.bucket.arn}/errors/*"]
    error_message = "The function may write only under the data and error prefixes of the stack's bucket."
  }
  assert {
    condition     = one([for s in jsondecode(module.function.role_policy_json).Statement : s.Resource if s.Sid == "SendFailureRecords"]) == [module.dlq.arn]
    error_message = "The function's role may send only to the stack's DLQ."
  }
  assert {
    condition     = length([for s in jsondecode(module.function.role_policy_json).Statement : s if startswith(s.Action[0], "kms:")]) == 0
    error_message = "Without customer managed keys the role needs (and gets) no KMS permission."
  }
  assert {
    condition     = module.function.environment["BUCKET_NAME"] == module.bucket.name && module.function.environment["OUTPUT_MODE"] == "record"
    error_message = "The function must write to the stack's bucket, in record mode by default."
  }
  assert {
    condition = (
      output.stream_name == module.stream.name && output.stream_arn == module.stream.arn &&
      output.bucket_name == module.bucket.name && output.dlq_url == module.dlq.url && output.dlq_arn == module.dlq.arn &&
      output.function_name == module.function.function_name &&
      output.event_source_mapping_uuid == module.function.event_source_mapping_uuid
    )
    error_message = "The outputs must expose the stack's resources."
  }
  assert {
    condition     = keys(output.alarm_names) == tolist(["dlq-not-empty", "errors", "iterator-age", "throttles"])
    error_message = "Four alarms are expected by default."
  }
}

run "customer_managed_keys_reach_the_role" {
  command = plan

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
    condition     = output.alarm_names == {}
    error_message = "alarms_enabled = false must create no alarms."
  }
}

run "accepts_boundary_values" {
  command = plan

  variables {
    batch_size                         = 10000
    maximum_batching_window_in_seconds = 300
    parallelization_factor             = 10
    maximum_retry_attempts             = -1
    maximum_record_age_in_seconds      = -1
    upload_concurrency                 = 512
    stream_mode                        = "PROVISIONED"
    shard_count                        = 1
    starting_position                  = "AT_TIMESTAMP"
    starting_position_timestamp        = "2025-01-02T15:04:05Z"
  }

  assert {
    condition     = module.function.environment["UPLOAD_CONCURRENCY"] == "512"
    error_message = "Boundary values must be accepted and passed on."
  }
}

run "accepts_lower_boundaries" {
  command = plan

  variables {
    batch_size                         = 1
    maximum_batching_window_in_seconds = 0
    parallelization_factor             = 1
    maximum_retry_attempts             = 0
    maximum_record_age_in_seconds      = 60
    upload_concurrency                 = 1
  }
}

# Each variable listed in expect_failures must fail on its own ("Missing expected failure" otherwise), so one run can
# check several variables at once; the lower and upper bounds need separate runs.
run "rejects_values_below_the_ranges" {
  command = plan
  variables {
    batch_size                         = 0
    maximum_batching_window_in_seconds = -1
    parallelization_factor             = 0
    maximum_retry_attempts             = -2
    maximum_record_age_in_seconds      = 59
    upload_concurrency                 = 0
  }
  expect_failures = [
    var.batch_size,
    var.maximum_batching_window_in_seconds,
    var.parallelization_factor,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
    var.upload_concurrency,
  ]
}

run "rejects_values_above_the_ranges" {
  command = plan
  variables {
    batch_size                         = 10001
    maximum_batching_window_in_seconds = 301
    parallelization_factor             = 11
    maximum_retry_attempts             = 10001
    maximum_record_age_in_seconds      = 604801
    upload_concurrency                 = 513
  }
  expect_failures = [
    var.batch_size,
    var.maximum_batching_window_in_seconds,
    var.parallelization_factor,
    var.maximum_retry_attempts,
    var.maximum_record_age_in_seconds,
    var.upload_concurrency,
  ]
}

run "rejects_fractions_and_record_age_0" {
  command = plan
  variables {
    batch_size                    = 10.5
    parallelization_factor        = 1.5
    maximum_record_age_in_seconds = 0
  }
  expect_failures = [var.batch_size, var.parallelization_factor, var.maximum_record_age_in_seconds]
}

run "rejects_unknown_modes" {
  command = plan
  variables {
    output_mode       = "batches"
    compression       = "lz4"
    on_invalid_record = "drop"
    starting_position = "EARLIEST"
    stream_mode       = "SERVERLESS"
    log_level         = "VERBOSE"
  }
  expect_failures = [var.output_mode, var.compression, var.on_invalid_record, var.starting_position, var.stream_mode, var.log_level]
}

run "rejects_bad_handler_settings" {
  command = plan
  variables {
    key_prefix   = "/kinesis/"
    error_prefix = ""
  }
  expect_failures = [var.key_prefix, var.error_prefix]
}

run "rejects_bad_names_and_arns" {
  command = plan
  variables {
    name               = "Kinesis_2_S3"
    bucket_name        = "UPPER"
    stream_kms_key_arn = "alias/aws/kinesis"
    alarm_actions      = ["my-topic"]
    function_zip_path  = "build/bootstrap"
  }
  expect_failures = [var.name, var.bucket_name, var.stream_kms_key_arn, var.alarm_actions, var.function_zip_path]
}

run "rejects_bad_stream_and_bucket_settings" {
  command = plan
  variables {
    shard_count                 = 0
    stream_retention_hours      = 23
    transition_days             = 0
    log_retention_days          = 10
    dlq_redrive_permission      = "byQueue"
    starting_position           = "AT_TIMESTAMP"
    starting_position_timestamp = "yesterday"
  }
  expect_failures = [var.shard_count, var.stream_retention_hours, var.transition_days, var.log_retention_days, var.dlq_redrive_permission, var.starting_position_timestamp]
}
