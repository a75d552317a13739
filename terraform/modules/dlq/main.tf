# The on-failure destination of the event source mapping. Each message describes a batch that exhausted its retries
# or aged out: shard, sequence-number range and the reason (the records themselves stay in the stream), so the queue
# keeps messages for SQS's maximum of 14 days and operators can redrive them while the stream still holds the data.

locals {
  cmk = var.kms_key_arn != null

  # Built with jsonencode (not a data source) so that tests read exactly the document that is deployed. It only
  # denies: access is granted by IAM (the sender's role, the redrive operator's policy).
  policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.this.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # A message from anyone else would be redriven as if it were a failed batch of this pipeline.
        Sid       = "DenySendersButTheMapping"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.this.arn
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = var.sender_role_arn } }
      },
    ]
  }
}

resource "aws_sqs_queue" "this" {
  name                       = var.name
  message_retention_seconds  = var.message_retention_seconds
  visibility_timeout_seconds = var.visibility_timeout_seconds

  # SSE with SQS-owned keys unless a customer managed key is given.
  sqs_managed_sse_enabled           = local.cmk ? null : true
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.cmk ? var.kms_data_key_reuse_period_seconds : null

  tags = var.tags
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = jsonencode(local.policy)
}

resource "aws_sqs_queue_redrive_allow_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  redrive_allow_policy = jsonencode(merge(
    { redrivePermission = var.redrive_permission },
    var.redrive_permission == "byQueue" ? { sourceQueueArns = var.redrive_source_queue_arns } : {},
  ))

  lifecycle {
    precondition {
      condition     = (var.redrive_permission == "byQueue") == (length(var.redrive_source_queue_arns) > 0)
      error_message = "redrive_source_queue_arns must list 1-10 queues when redrive_permission is byQueue, and be empty otherwise."
    }
  }
}

# Before redrive_permission became non-nullable, the policy was optional.
moved {
  from = aws_sqs_queue_redrive_allow_policy.this[0]
  to   = aws_sqs_queue_redrive_allow_policy.this
}
