# Review 18: the function module's description against Lambda's limit.

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

# Lambda takes a description of at most 256 characters (CreateFunction: Description, 0-256). The module writes
# "Writes records from Kinesis stream <stream ARN> to S3 bucket <bucket name>." itself: with a stream name of 128
# characters (which Kinesis and modules/stream accept) and a bucket name of 63 (S3's maximum) it is 287 characters,
# and CreateFunction fails at apply, on an attribute the caller cannot set, after the role and log group exist.
run "description_fits_lambda" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    name                       = "k2s3-test"
    zip_path                   = "tests/fixtures/empty.zip"
    bucket_name                = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    bucket_arn                 = "arn:aws:s3:::bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    stream_arn                 = "arn:aws:kinesis:eu-west-1:123456789012:stream/ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
    stream_retention_hours     = 168
    on_failure_destination_arn = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
  }

  assert {
    condition     = length(aws_lambda_function.this.description) <= 256
    error_message = "The function's description has more than the 256 characters Lambda takes."
  }
}
