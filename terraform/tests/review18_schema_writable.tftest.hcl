# Review 18: the function must not be able to write its own schema object.

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
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

# The precondition "schema_prefix must lie outside key_prefix and error_prefix" checks one direction only:
# startswith(schema_prefix, key_prefix). A key_prefix that starts with schema_prefix and is longer passes, yet the
# role's s3:PutObject on <bucket>/<key_prefix>* can cover the schema object, whose key is
# <schema_prefix><name>-<hash>.json: here key_prefix "schemas/k2s3" grants PutObject on
# schemas/k2s3-test-<hash>.json, the SCHEMA the function validates against. The plan passes and the function can
# rewrite its own schema, what the precondition exists to prevent (a record-mode stack, where the catalog's
# "ends in /" rule does not apply).
run "function_cannot_write_its_schema" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    name                       = "k2s3-test"
    zip_path                   = "tests/fixtures/empty.zip"
    bucket_name                = "k2s3-test-bucket"
    bucket_arn                 = "arn:aws:s3:::k2s3-test-bucket"
    stream_arn                 = "arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"
    stream_retention_hours     = 168
    on_failure_destination_arn = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
    schema_file                = "tests/fixtures/no-columns.schema.json"
    key_prefix                 = "schemas/k2s3"
  }

  expect_failures = [aws_lambda_function.this]
}
