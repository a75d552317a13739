# A Kinesis data stream, always encrypted at rest. Without a customer managed key the AWS managed key
# alias/aws/kinesis is used: consumers then need no KMS permission of their own.

locals {
  kms_key_id = coalesce(var.kms_key_arn, "alias/aws/kinesis")
}

resource "aws_kinesis_stream" "this" {
  name                = var.name
  shard_count         = var.stream_mode == "PROVISIONED" ? var.shard_count : null
  retention_period    = var.retention_period_hours
  encryption_type     = "KMS"
  kms_key_id          = local.kms_key_id
  shard_level_metrics = var.shard_level_metrics

  stream_mode_details {
    stream_mode = var.stream_mode
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = (var.stream_mode == "PROVISIONED") == (var.shard_count != null)
      error_message = "shard_count must be set when stream_mode is PROVISIONED and left null when it is ON_DEMAND."
    }
  }
}
