# Every part of the pipeline encrypted with customer managed KMS keys, each key's policy allowing exactly the
# services that use it:
#   - data: the stream, the bucket and the on-failure queue. Kinesis, S3 and SQS use the key on behalf of a caller
#     (the function's role, your producers, the redrive operators), so the key policy only hands access to IAM
#     (EnableIAMPolicies) and the stack's policies grant it, each limited with kms:ViaService to one service.
#   - logs: the function's log group. CloudWatch Logs uses the key itself, so the key policy must name it, for this
#     log group only.
# The alarm topic has a customer managed key too, which modules/alarms creates with the policy CloudWatch needs.

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region

  enable_iam_policies = {
    Sid       = "EnableIAMPolicies"
    Effect    = "Allow"
    Principal = { AWS = "arn:${local.partition}:iam::${local.account}:root" }
    Action    = "kms:*"
    Resource  = "*"
  }
}

resource "aws_kms_key" "data" {
  description         = "${var.name}: the stream, the bucket and the on-failure queue"
  enable_key_rotation = true
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [local.enable_iam_policies]
  })
}

resource "aws_kms_key" "logs" {
  description         = "${var.name}: the function's log group"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.enable_iam_policies,
      {
        Sid       = "AllowCloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${var.name}" }
        }
      },
    ]
  })
}

module "kinesis2s3" {
  source = "../.."

  name              = var.name
  function_zip_path = var.function_zip_path

  stream_kms_key_arn   = aws_kms_key.data.arn
  bucket_sse_algorithm = "aws:kms"
  bucket_kms_key_arn   = aws_kms_key.data.arn
  dlq_kms_key_arn      = aws_kms_key.data.arn
  log_kms_key_arn      = aws_kms_key.logs.arn

  # The operators' policy gets kms:Decrypt on the data key for what redrive reads, and a data key for what it writes.
  redrive_operator_modes = ["dry-run", "invoke", "direct"]
}
