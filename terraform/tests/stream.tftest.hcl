# The stream module on its own: capacity mode, retention and encryption.

mock_provider "aws" {}

variables {
  name = "k2s3-test"
}

run "defaults" {
  command = plan

  module {
    source = "./modules/stream"
  }

  assert {
    condition     = aws_kinesis_stream.this.stream_mode_details[0].stream_mode == "ON_DEMAND" && aws_kinesis_stream.this.shard_count == null
    error_message = "The stream must be ON_DEMAND without a shard count by default."
  }
  assert {
    condition     = aws_kinesis_stream.this.name == "k2s3-test" && aws_kinesis_stream.this.retention_period == 168 && output.retention_period_hours == 168 && length(aws_kinesis_stream.this.shard_level_metrics) == 0
    error_message = "The stream must have the given name, 7 days of retention (so failed batches can still be redriven) and no paid shard-level metrics by default."
  }
  assert {
    condition     = aws_kinesis_stream.this.encryption_type == "KMS" && aws_kinesis_stream.this.kms_key_id == "alias/aws/kinesis"
    error_message = "The stream must be encrypted with the AWS managed key by default."
  }
  assert {
    condition     = output.kms_key_arn == null
    error_message = "With the AWS managed key, consumers need no KMS permission: no key is handed on."
  }
}

run "provisioned_with_customer_managed_key" {
  command = plan

  module {
    source = "./modules/stream"
  }

  variables {
    stream_mode            = "PROVISIONED"
    shard_count            = 4
    retention_period_hours = 48
    kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    shard_level_metrics    = ["IteratorAgeMilliseconds"]
  }

  assert {
    condition     = aws_kinesis_stream.this.stream_mode_details[0].stream_mode == "PROVISIONED" && aws_kinesis_stream.this.shard_count == 4
    error_message = "PROVISIONED mode must use shard_count."
  }
  assert {
    condition     = aws_kinesis_stream.this.retention_period == 48 && aws_kinesis_stream.this.shard_level_metrics == toset(["IteratorAgeMilliseconds"])
    error_message = "Retention and shard-level metrics must follow the variables."
  }
  assert {
    condition = (
      aws_kinesis_stream.this.encryption_type == "KMS" &&
      aws_kinesis_stream.this.kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111" &&
      output.kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    )
    error_message = "A customer managed key must encrypt the stream and be handed on to consumers."
  }
}

run "rejects_provisioned_without_shards" {
  command = plan

  module {
    source = "./modules/stream"
  }

  variables {
    stream_mode = "PROVISIONED"
  }

  expect_failures = [aws_kinesis_stream.this]
}

run "rejects_shards_on_demand" {
  command = plan

  module {
    source = "./modules/stream"
  }

  variables {
    shard_count = 2
  }

  expect_failures = [aws_kinesis_stream.this]
}

run "rejects_bad_values" {
  command = plan

  module {
    source = "./modules/stream"
  }

  variables {
    name                   = "k2s3 test"
    stream_mode            = "SERVERLESS"
    shard_count            = 1.5
    retention_period_hours = 12
    kms_key_arn            = "alias/my-key"
    shard_level_metrics    = ["IteratorAge"]
  }

  expect_failures = [var.name, var.stream_mode, var.shard_count, var.retention_period_hours, var.kms_key_arn, var.shard_level_metrics]
}
