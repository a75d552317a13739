# The Go handler (provided.al2023 on arm64), its log group, its least-privilege execution role and the event source
# mapping that feeds it from the stream. The mapping lives here because it is bound to the role: Lambda checks the
# role's stream permissions when the mapping is created, and sends on-failure records with the same role.

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # The handler's configuration contract (see function/config).
  environment = {
    BUCKET_NAME        = var.bucket_name
    OUTPUT_MODE        = var.output_mode
    KEY_PREFIX         = var.key_prefix
    COMPRESSION        = var.compression
    ERROR_PREFIX       = var.error_prefix
    ON_INVALID_RECORD  = var.on_invalid_record
    UPLOAD_CONCURRENCY = tostring(var.upload_concurrency)
  }

  # kms:ViaService limits each key to requests that the named service makes on the function's behalf.
  via = { for s in ["kinesis", "s3", "sqs"] : s => "${s}.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}" }

  kms_statements = concat(
    var.stream_kms_key_arn == null ? [] : [{
      Sid       = "DecryptStream"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = [var.stream_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via.kinesis } }
    }],
    var.bucket_kms_key_arn == null ? [] : [{
      # GenerateDataKey encrypts new objects; Decrypt is needed to complete multipart uploads.
      Sid       = "EncryptObjects"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = [var.bucket_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via.s3 } }
    }],
    var.dlq_kms_key_arn == null ? [] : [{
      Sid       = "EncryptFailureRecords"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = [var.dlq_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via.sqs } }
    }],
  )

  # The execution role's only policy. Built with jsonencode (not a data source) so that the module output and the
  # tests see exactly the document that is deployed.
  policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid    = "ReadStream"
        Effect = "Allow"
        Action = [
          "kinesis:DescribeStream",
          "kinesis:DescribeStreamSummary",
          "kinesis:GetRecords",
          "kinesis:GetShardIterator",
          "kinesis:ListShards",
        ]
        Resource = [var.stream_arn]
      },
      {
        # ListStreams has no resource-level permissions: AWS only accepts "*" for it. It returns stream names only.
        Sid      = "ListStreams"
        Effect   = "Allow"
        Action   = ["kinesis:ListStreams"]
        Resource = ["*"]
      },
      {
        Sid    = "WriteObjects"
        Effect = "Allow"
        Action = ["s3:PutObject"]
        Resource = distinct([
          "${var.bucket_arn}/${var.key_prefix}*",
          "${var.bucket_arn}/${var.error_prefix}*",
        ])
      },
      {
        # The event source mapping sends on-failure records with the function's role.
        Sid      = "SendFailureRecords"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [var.dlq_arn]
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
      },
    ], local.kms_statements)
  }

  assume_role_policy = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# IAM names are global to the account: a generated suffix lets the same stack run in several regions.
resource "aws_iam_role" "this" {
  name_prefix        = "${substr(var.name, 0, 37)}-"
  description        = "Execution role of the ${var.name} Lambda function (Kinesis to S3)."
  assume_role_policy = jsonencode(local.assume_role_policy)
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.policy)
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = "Writes records from Kinesis stream ${var.stream_arn} to S3 bucket ${var.bucket_name}."
  role          = aws_iam_role.this.arn
  runtime       = "provided.al2023"
  architectures = ["arm64"]
  handler       = "bootstrap"
  filename      = var.zip_path
  # fileexists: destroy must work without a build (the precondition below stops plans that would deploy nothing).
  source_code_hash = fileexists(var.zip_path) ? filebase64sha256(var.zip_path) : null
  memory_size      = var.memory_size
  timeout          = var.timeout

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = local.environment
  }

  # JSON logs; the application level reaches the handler as AWS_LAMBDA_LOG_LEVEL.
  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  tags = var.tags

  # The first invocation must be able to write its logs.
  depends_on = [aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = var.error_prefix != var.key_prefix
      error_message = "error_prefix must differ from key_prefix: quarantined records would mix with the data."
    }
    precondition {
      condition     = fileexists(var.zip_path)
      error_message = "The deployment package ${var.zip_path} does not exist: run make build first."
    }
  }
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn            = var.stream_arn
  function_name               = aws_lambda_function.this.arn
  enabled                     = var.enabled
  starting_position           = var.starting_position
  starting_position_timestamp = var.starting_position == "AT_TIMESTAMP" ? var.starting_position_timestamp : null

  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  parallelization_factor             = var.parallelization_factor

  # The handler reports the first failed record of each shard; Lambda retries from there (checkpointing).
  function_response_types = ["ReportBatchItemFailures"]
  # A whole-batch error (timeout, crash) halves the batch to isolate a poison record.
  bisect_batch_on_function_error = true
  # Finite by default: with -1 a poison record would block its shard for the stream's whole retention.
  maximum_retry_attempts        = var.maximum_retry_attempts
  maximum_record_age_in_seconds = var.maximum_record_age_in_seconds

  destination_config {
    on_failure {
      destination_arn = var.dlq_arn
    }
  }

  dynamic "filter_criteria" {
    for_each = length(var.filter_patterns) > 0 ? [1] : []
    content {
      dynamic "filter" {
        for_each = var.filter_patterns
        content {
          pattern = filter.value
        }
      }
    }
  }

  dynamic "metrics_config" {
    for_each = length(var.esm_metrics) > 0 ? [1] : []
    content {
      metrics = var.esm_metrics
    }
  }

  tags = var.tags

  # Lambda verifies the role can read the stream when the mapping is created.
  depends_on = [aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = (var.starting_position == "AT_TIMESTAMP") == (var.starting_position_timestamp != null)
      error_message = "starting_position_timestamp must be set when starting_position is AT_TIMESTAMP, and only then."
    }
  }
}
