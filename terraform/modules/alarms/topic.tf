# The alarm topic: encrypted with a customer managed key of its own, because CloudWatch can publish to an encrypted
# topic only if the key's policy lets it use the key, which the AWS managed key aws/sns does not (alarms would fire
# and notify nobody). The key is created here rather than taken as an input: a key created in the same apply would
# make the number of keys to create unknown at plan time.

locals {
  # Only this account's alarms of this stack may use the key and the topic (no confused deputy).
  from_these_alarms = {
    StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
    ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:alarm:${var.name_prefix}-*" }
  }

  topic_key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The account's IAM policies decide who else may use and manage the key (the default key policy).
        Sid       = "EnableIAMPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "AllowCloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = local.from_these_alarms
      },
    ]
  }
}

resource "aws_kms_key" "topic" {
  count = var.topic_enabled ? 1 : 0

  description             = "Encrypts the ${var.name_prefix}-alarms SNS topic; CloudWatch alarms of ${var.name_prefix} may use it."
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = jsonencode(local.topic_key_policy)
  tags                    = var.tags
}

resource "aws_sns_topic" "alarms" {
  count = var.topic_enabled ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = aws_kms_key.topic[0].arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "alarms" {
  count = var.topic_enabled ? 1 : 0

  arn = aws_sns_topic.alarms[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowCloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms[0].arn
        Condition = local.from_these_alarms
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms[0].arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.topic_enabled ? toset(var.email_addresses) : toset([])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}
