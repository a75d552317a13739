# Review 18: the schema's size against what the function reads at cold start.

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

# The function reads SCHEMA whole at cold start and refuses a document over function/schema.MaxSize, 1 MiB
# (cmd/bootstrap: s3writer.Read(..., schema.MaxSize); schema: "... is N bytes; a schema may have at most 1048576").
# schema_file is checked only for being JSON without external $refs: a larger schema plans, uploads, and every cold
# start fails. The fixture is a valid schema of 1,048,734 bytes (white space pads it).
run "rejects_a_schema_the_function_will_not_read" {
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
    schema_file                = "tests/fixtures/over-1mib.schema.json"
  }

  expect_failures = [var.schema_file]
}
