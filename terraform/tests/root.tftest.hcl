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
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
}

variables {
  function_zip_path = "tests/fixtures/empty.zip" # an empty but valid zip: the plan only hashes it
}

run "wiring" {
  command = apply

  assert {
    condition     = module.function.on_failure_destination_arn == module.dlq.arn
    error_message = "The mapping's on-failure destination must be the stack's DLQ."
  }
  assert {
    condition = { for s in jsondecode(module.function.role_policy_json).Statement : s.Sid => s.Resource if s.Sid != "ListStreams" && s.Sid != "WriteLogs" } == {
      ReadStream         = [module.stream.arn]
      WriteObjects       = ["${module.bucket.arn}/kinesis/*", "${module.bucket.arn}/errors/*"]
      SendFailureRecords = [module.dlq.arn]
    }
    error_message = "The function may read only the stack's stream, write only under the data and error prefixes of the stack's bucket, and send only to the stack's DLQ; without customer managed keys it gets no KMS permission. Got ${module.function.role_policy_json}"
  }
  assert {
    condition     = module.function.environment["BUCKET_NAME"] == module.bucket.name && module.function.environment["OUTPUT_MODE"] == "record"
    error_message = "The function must write to the stack's bucket, in record mode by default."
  }
  assert {
    condition = (
      module.stream.name == "kinesis2s3" && module.function.function_name == "kinesis2s3" && module.dlq.name == "kinesis2s3-on-failure" &&
      output.stream_name == module.stream.name && output.stream_arn == module.stream.arn &&
      output.bucket_name == module.bucket.name && output.bucket_arn == module.bucket.arn &&
      output.dlq_url == module.dlq.url && output.dlq_arn == module.dlq.arn &&
      output.function_name == module.function.function_name && output.function_arn == module.function.function_arn &&
      output.log_group_name == "/aws/lambda/kinesis2s3" && output.role_arn == module.function.role_arn &&
      output.event_source_mapping_uuid == module.function.event_source_mapping_uuid
    )
    error_message = "The stack's resources must be named after var.name, and the outputs must expose them."
  }
  assert {
    condition = output.alarm_names == tomap({
      "dlq-not-empty" = "kinesis2s3-dlq-not-empty"
      "errors"        = "kinesis2s3-errors"
      "iterator-age"  = "kinesis2s3-iterator-age"
      "throttles"     = "kinesis2s3-throttles"
    })
    error_message = "The alarms must be created by default and named after the stack."
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
    condition     = output.alarm_names == {}
    error_message = "alarms_enabled = false must create no alarms."
  }
}

run "rejects_bad_names_and_tags" {
  command = plan

  variables {
    name = "Kinesis_2_S3"
    tags = { "aws:created-by" = "me" }
  }

  expect_failures = [var.name, var.tags]
}

run "rejects_bad_region" {
  command = plan

  variables {
    region = "Europe"
  }

  expect_failures = [var.region]
}
