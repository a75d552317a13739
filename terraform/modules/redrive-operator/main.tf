# The IAM policy for the people who run `pipelinectl redrive` (cmd/pipelinectl/redrive.go, internal/redrive): the
# actions it calls in the modes they use, on this stack's resources only. Attach it to the operators' role or group.
#
#   redrive from SQS: GetQueueUrl (-queue-name), GetQueueAttributes (the depth it logs), ReceiveMessage and
#     ChangeMessageVisibility (hold a message while working on it, release it when kept), DeleteMessage (only once a
#     range is durably handled, so not for a dry run); DescribeStreamSummary (the retention), GetShardIterator and
#     GetRecords (the range itself, also read by a dry run for its counts and ages).
#   redrive from S3 (-source s3://bucket/aws/lambda/...): ListBucket on that prefix, GetObject, GetObjectTagging
#     (-redriven-objects tag skips objects tagged by an earlier run, a dry run too), and DeleteObject (the default)
#     or PutObjectTagging (-redriven-objects tag) to retire an object once its records are durable (not for a dry run).
#   invoke: lambda:InvokeFunction; GetFunctionConfiguration for the events' invokeIdentityArn.
#   direct: GetFunctionConfiguration (-config-from-function), s3:PutObject under the function's two prefixes,
#     s3:GetObject on the function's progress markers (it resumes a large KPL aggregate where an earlier attempt
#     stopped, as the function does; without the read it starts the aggregate over) and on the function's SCHEMA
#     object, which it reads with the function's settings.
# KMS: Decrypt on the customer managed keys of what it reads (in direct mode the data bucket's too, for the markers and
# the schema), GenerateDataKey on the data bucket's for what it writes, each limited to the service that uses the key.

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  enabled  = length(var.modes) > 0
  from_sqs = var.queue_arn != null
  retires  = contains(var.modes, "invoke") || contains(var.modes, "direct")
  failed   = local.from_sqs ? null : "${var.failed_batches_bucket_arn}/aws/lambda/*"

  via = { for s in ["kinesis", "s3", "sqs"] : s => "${s}.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}" }

  decrypt = { for k, v in {
    sqs     = local.from_sqs ? var.queue_kms_key_arn : null
    kinesis = local.from_sqs ? var.stream_kms_key_arn : null
    s3      = local.from_sqs ? null : var.failed_batches_kms_key_arn
  } : k => v if v != null }

  source_statements = concat(
    local.from_sqs ? [
      {
        Sid      = "ReadFailureRecords"
        Effect   = "Allow"
        Action   = ["sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
        Resource = [var.queue_arn]
      },
      {
        Sid      = "ReadStream"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator"]
        Resource = [var.stream_arn]
      },
    ] : [],
    local.from_sqs && local.retires ? [{
      Sid      = "DeleteRedrivenRecords"
      Effect   = "Allow"
      Action   = ["sqs:DeleteMessage"]
      Resource = [var.queue_arn]
    }] : [],
    local.from_sqs ? [] : [{
      Sid       = "ListFailedBatches"
      Effect    = "Allow"
      Action    = ["s3:ListBucket"]
      Resource  = [var.failed_batches_bucket_arn]
      Condition = { StringLike = { "s3:prefix" = ["aws/lambda/*"] } }
    }],
    local.from_sqs ? [] : [{
      Sid      = "ReadFailedBatches"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectTagging"]
      Resource = [local.failed]
    }],
    !local.from_sqs && local.retires ? [{
      Sid      = "RetireRedrivenBatches"
      Effect   = "Allow"
      Action   = ["s3:DeleteObject", "s3:PutObjectTagging"]
      Resource = [local.failed]
    }] : [],
  )

  mode_statements = concat(
    local.retires ? [{
      Sid      = "ReadFunctionConfiguration"
      Effect   = "Allow"
      Action   = ["lambda:GetFunctionConfiguration"]
      Resource = [var.function_arn, "${var.function_arn}:*"]
    }] : [],
    contains(var.modes, "invoke") ? [{
      Sid      = "InvokeFunction"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = [var.function_arn, "${var.function_arn}:*"]
    }] : [],
    contains(var.modes, "direct") ? [{
      Sid      = "WriteObjects"
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = ["${var.bucket_arn}/${var.key_prefix}*", "${var.bucket_arn}/${var.error_prefix}*"]
    }] : [],
    contains(var.modes, "direct") && var.bucket_kms_key_arn != null ? [{
      Sid       = "EncryptObjects"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey"]
      Resource  = [var.bucket_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via.s3 } }
    }] : [],
    contains(var.modes, "direct") ? [{
      Sid      = "ReadProgressMarkers"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = [var.progress_markers_arn]
    }] : [],
    contains(var.modes, "direct") && var.schema_object_arn != null ? [{
      Sid      = "ReadSchema"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = [var.schema_object_arn]
    }] : [],
    contains(var.modes, "direct") && var.bucket_kms_key_arn != null ? [{
      Sid       = "DecryptObjects"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = [var.bucket_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via.s3 } }
    }] : [],
  )

  kms_statements = [for service, key in local.decrypt : {
    Sid       = "Decrypt${title(service)}"
    Effect    = "Allow"
    Action    = ["kms:Decrypt"]
    Resource  = [key]
    Condition = { StringEquals = { "kms:ViaService" = local.via[service] } }
  }]

  policy = {
    Version   = "2012-10-17"
    Statement = concat(local.source_statements, local.mode_statements, local.kms_statements)
  }
}

resource "aws_iam_policy" "this" {
  count = local.enabled ? 1 : 0

  # aws_iam_policy takes a name_prefix of at most 102 characters (128 less the generated suffix's 26): the name is cut
  # to 93, which "-redrive-" fills up to 102; the suffix keeps cut names distinct.
  name_prefix = "${substr(var.name, 0, 93)}-redrive-"
  description = "pipelinectl redrive (${join(", ", sort(var.modes))}) for the ${var.name} pipeline."
  policy      = jsonencode(local.policy)
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = (var.queue_arn == null) != (var.failed_batches_bucket_arn == null)
      error_message = "Exactly one of queue_arn (failure records in SQS) and failed_batches_bucket_arn (failed batches in S3) must be set."
    }
  }
}
