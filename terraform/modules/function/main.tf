# The Go handler (provided.al2023 on arm64), its log group, its least-privilege execution role and the event source
# mapping that feeds it from the stream. The mapping lives here because it is bound to the role: Lambda checks the
# role's stream permissions when the mapping is created, and sends on-failure records with the same role.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

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
    SCHEMA             = var.schema_file == "" ? "" : "s3://${aws_s3_object.schema[0].bucket}/${aws_s3_object.schema[0].key}"
    TRANSFORM          = var.transform
    TIME_FIELD         = var.time_field
    PARTITION_KEYS     = var.partition_keys
    MAX_PARTITIONS     = tostring(var.max_partitions)
    FORMAT             = var.format
  }

  account_id = data.aws_caller_identity.current.account_id

  # Lambda takes a description of at most 256 characters. The stream's name (up to 128) rather than its ARN keeps a
  # bucket name of S3's 63 within it; anything longer (an ARN of another shape) is cut rather than fail the apply.
  description_full = "Writes records from Kinesis stream ${try(regex("stream/(.+)$", var.stream_arn)[0], var.stream_arn)} to S3 bucket ${var.bucket_name}."
  description      = length(local.description_full) <= 256 ? local.description_full : "${substr(local.description_full, 0, 253)}..."

  # Where the handler saves its progress inside a large KPL aggregate, and reads it back on the retry (function/layout:
  # <error_prefix>_progress/<shard>-<sequence number>.json). The only objects it reads, besides its schema.
  progress_prefix = "${var.error_prefix}_progress/"
  progress_arn    = "${var.bucket_arn}/${local.progress_prefix}*"

  # "sqs" or "s3", from the ARN (arn:<partition>:<service>:...), which the variable's validation allows only for these.
  on_failure = split(":", var.on_failure_destination_arn)[2]
  # Where Lambda writes failed batches in an S3 destination: aws/lambda/<mapping UUID>/<shard>/YYYY/MM/DD/... (AWS
  # chooses the key; the destination is a bucket).
  failed_batch_prefix = "aws/lambda/"

  # The mapping reads either the stream itself or, with enhanced fan-out, the stream through its own consumer.
  event_source_arn = var.enhanced_fan_out ? aws_kinesis_stream_consumer.this[0].arn : var.stream_arn

  # The prefixes the role may write under and the bucket's lifecycle rules expire (key_prefix, error_prefix), and
  # where Lambda writes failed batches with an S3 destination (kept clear in any case, as the catalog does, so that
  # a later switch cannot reach the schema). Either direction of overlap counts: a key_prefix inside schema_prefix
  # can still cover the schema's key.
  schema_prefix_overlaps = [
    for label, p in { key_prefix = var.key_prefix, error_prefix = var.error_prefix, "the failed batches' prefix" = local.failed_batch_prefix } :
    "${label} (\"${p}\")" if startswith(var.schema_prefix, p) || startswith(p, var.schema_prefix)
  ]

  # The schema's key changes with its content, so that a new schema is a new configuration (and new cold starts).
  schema_key = var.schema_file == "" ? null : "${var.schema_prefix}${var.name}-${substr(filesha256(var.schema_file), 0, 16)}.json"

  # The longest keys the function can write, as it checks them at cold start (function/config, layout.LongestDataKey
  # and LongestErrorKey): S3 takes 1,024 bytes. Shard ids have up to 128 characters, sequence numbers up to 129
  # digits, a user record's index up to 10 (in record-mode data keys only: a quarantine object is one per Kinesis
  # record); year=YYYY/month=MM/day=DD/hour=HH/ is 34 bytes, .jsonl.zst 10, and each partition level name=<value of up
  # to 64 bytes>/. length() counts characters, S3 bytes: they are read off base64.
  prefix_bytes = { for k, p in { key = var.key_prefix, error = var.error_prefix } :
    k => length(base64encode(p)) / 4 * 3 - length(regexall("=", base64encode(p)))
  }
  partition_levels_bytes = sum(concat([0], [for pair in compact(split(",", var.partition_keys)) : length(split("=", pair)[0]) + 66]))
  longest_batch_tail     = local.partition_levels_bytes + 34 + 128 + 1 + 129 + length(".jsonl.zst")
  longest_record_tail    = 129 + 1 + 10 + length(".json")
  longest_data_key       = local.prefix_bytes.key + (var.output_mode == "batch" ? local.longest_batch_tail : local.longest_record_tail)
  longest_error_key      = local.prefix_bytes.error + 34 + 128 + 1 + 129 + length(".json")

  # Lambda's 4 KB limit is on the JSON document of the variables ({"NAME":"value",...}: quotes, colons, commas and
  # escapes count), in bytes (read off base64, as above). jsonencode also escapes <, > and & (\u003c...): that can
  # only make this measure larger than Lambda's, never smaller.
  environment_json  = jsonencode(local.environment)
  environment_bytes = length(base64encode(local.environment_json)) / 4 * 3 - length(regexall("=", base64encode(local.environment_json)))

  # kms:ViaService limits each key to requests that the named service makes on the function's behalf.
  via = { for s in ["kinesis", "s3", "sqs"] : s => "${s}.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}" }

  # s3:ResourceAccount keeps the grants on this account's buckets: a deleted bucket's name re-created by someone else
  # must not receive the pipeline's data.
  this_account = { StringEquals = { "s3:ResourceAccount" = local.account_id } }

  # The SCHEMA object only, read once per cold start.
  schema_statements = var.schema_file == "" ? [] : [{
    Sid       = "ReadSchema"
    Effect    = "Allow"
    Action    = ["s3:GetObject"]
    Resource  = ["${var.bucket_arn}/${local.schema_key}"]
    Condition = local.this_account
  }]

  kms_statements = concat(
    var.stream_kms_key_arn == null ? [] : [{
      Sid       = "DecryptStream"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = [var.stream_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via.kinesis } }
    }],
    var.bucket_kms_key_arn == null ? [] : [{
      # A data key for PutObject (never multipart: the handler's objects are small); Decrypt only to read its
      # progress markers back and its schema, the only objects it can read.
      Sid       = "EncryptObjects"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = [var.bucket_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via.s3 } }
    }],
    var.on_failure_kms_key_arn == null ? [] : [{
      # SendMessage to an SSE-KMS queue needs both; an S3 destination only a data key.
      Sid       = "EncryptFailureRecords"
      Effect    = "Allow"
      Action    = local.on_failure == "sqs" ? ["kms:GenerateDataKey", "kms:Decrypt"] : ["kms:GenerateDataKey"]
      Resource  = [var.on_failure_kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = local.via[local.on_failure] } }
    }],
  )

  on_failure_statements = concat(
    local.on_failure == "sqs" ? [{
      # The event source mapping sends on-failure records with the function's role.
      Sid      = "SendFailureRecords"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = [var.on_failure_destination_arn]
    }] : [],
    local.on_failure == "s3" ? [
      {
        # The function itself cannot read them: its only s3:GetObject is on its progress markers and its schema.
        Sid       = "WriteFailedBatches"
        Effect    = "Allow"
        Action    = ["s3:PutObject"]
        Resource  = ["${var.on_failure_destination_arn}/${local.failed_batch_prefix}*"]
        Condition = local.this_account
      },
      {
        # AWS documents s3:ListBucket as required for an S3 destination; it lists keys, it reads no object.
        Sid       = "ListFailedBatchBucket"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [var.on_failure_destination_arn]
        Condition = local.this_account
      },
    ] : [],
  )

  consumer_statements = var.enhanced_fan_out ? [{
    Sid      = "ReadThroughConsumer"
    Effect   = "Allow"
    Action   = ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
    Resource = [aws_kinesis_stream_consumer.this[0].arn]
  }] : []

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
        Sid    = "WriteObjects"
        Effect = "Allow"
        Action = ["s3:PutObject"]
        Resource = [
          "${var.bucket_arn}/${var.key_prefix}*",
          "${var.bucket_arn}/${var.error_prefix}*",
        ]
        Condition = local.this_account
      },
      {
        Sid       = "ReadProgressMarkers"
        Effect    = "Allow"
        Action    = ["s3:GetObject"]
        Resource  = [local.progress_arn]
        Condition = local.this_account
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
      },
    ], local.consumer_statements, local.on_failure_statements, local.schema_statements, local.kms_statements)
  }

  # aws:SourceAccount: only Lambda acting for this account may assume the role (no confused deputy).
  assume_role_policy = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
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
  description   = local.description
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
      condition     = local.longest_data_key <= 1024
      error_message = "${var.partition_keys == "" ? "key_prefix makes" : "key_prefix and partition_keys make"} object keys of up to ${local.longest_data_key} bytes, and S3 takes at most 1024 (the function would fail its cold start): shorten key_prefix${var.partition_keys == "" ? "" : ", or use fewer or shorter partition key names"}."
    }
    precondition {
      condition     = local.longest_error_key <= 1024
      error_message = "error_prefix makes keys of quarantined records of up to ${local.longest_error_key} bytes, and S3 takes at most 1024 (the function would fail its cold start): shorten error_prefix to at most ${1024 - local.longest_error_key + local.prefix_bytes.error} bytes."
    }
    precondition {
      condition     = !startswith(var.error_prefix, var.key_prefix) && !startswith(var.key_prefix, var.error_prefix)
      error_message = "error_prefix and key_prefix must not overlap (neither may start with the other): quarantined records would mix with the data, and the data's lifecycle rules would apply to them."
    }
    precondition {
      condition = var.on_failure_destination_arn != var.bucket_arn || alltrue([
        for p in [var.key_prefix, var.error_prefix] : !startswith(p, local.failed_batch_prefix) && !startswith(local.failed_batch_prefix, p)
      ])
      error_message = "key_prefix and error_prefix must not overlap ${local.failed_batch_prefix}, where Lambda writes the failed batches when the data bucket is the on-failure destination."
    }
    precondition {
      condition     = fileexists(var.zip_path)
      error_message = "The deployment package ${var.zip_path} does not exist: run make build first."
    }
    precondition {
      condition     = var.output_mode == "batch" || (var.time_field == "" && var.partition_keys == "" && var.format == "jsonl")
      error_message = "time_field, partition_keys and format = \"parquet\" are for output_mode = \"batch\": record mode writes one object per record."
    }
    precondition {
      condition     = var.format != "parquet" || var.schema_file != ""
      error_message = "format = \"parquet\" needs schema_file: the Parquet columns are the schema's."
    }
    precondition {
      condition     = var.format != "parquet" || var.schema_file == "" || module.schema.object_root
      error_message = "format = \"parquet\" needs a schema_file whose root is \"type\": \"object\" (or a \"$ref\" to such a definition): its properties are the Parquet columns."
    }
    precondition {
      condition     = var.compression != "snappy" || var.format == "parquet"
      error_message = "compression = \"snappy\" is for format = \"parquet\" only: JSON Lines objects are gzip, zstd or none."
    }
    precondition {
      condition     = length(local.schema_prefix_overlaps) == 0
      error_message = "schema_prefix (\"${var.schema_prefix}\") overlaps ${join(" and ", local.schema_prefix_overlaps)}: neither may start with the other. The function may write there and lifecycle rules expire objects there, and it must not be able to change or lose its own schema."
    }
    precondition {
      # Lambda limits a function's environment to 4 KB, measured on its JSON document; TRANSFORM is what grows it.
      condition     = local.environment_bytes <= 4096
      error_message = "The function's environment is ${local.environment_bytes} bytes as Lambda measures it (the JSON document of the variables, quotes and escapes included), and Lambda takes at most 4096: shorten transform."
    }
  }
}

# Enhanced fan-out: a consumer of its own gives the function dedicated read throughput on every shard.
resource "aws_kinesis_stream_consumer" "this" {
  count = var.enhanced_fan_out ? 1 : 0

  name       = var.name
  stream_arn = var.stream_arn
  tags       = var.tags
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn            = local.event_source_arn
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
  # Bounded: a batch that keeps failing, or waits behind throttling, goes to the on-failure destination by
  # maximum_record_age_in_seconds at the latest, while the stream still holds it (see the precondition below).
  maximum_retry_attempts        = var.maximum_retry_attempts
  maximum_record_age_in_seconds = var.maximum_record_age_in_seconds

  destination_config {
    on_failure {
      destination_arn = var.on_failure_destination_arn
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
    precondition {
      condition     = var.maximum_record_age_in_seconds + var.timeout < var.stream_retention_hours * 3600
      error_message = <<-EOT
        maximum_record_age_in_seconds (${var.maximum_record_age_in_seconds} s) plus the function timeout (${var.timeout} s) must be less than the stream's retention (${var.stream_retention_hours} h = ${var.stream_retention_hours * 3600} s).
        The mapping hands a batch to the on-failure destination only when its retries run out or its records grow older than maximum_record_age_in_seconds. A record that is still being retried, or waits behind throttling, when the stream's retention ends is deleted by Kinesis: it never reaches the destination and no metric counts it (DroppedEventCount does not). maximum_retry_attempts cannot prevent this, since throttled batches are not retries; only the record age can, so it must end, with one invocation's time to spare, before the retention does.
        Lower maximum_record_age_in_seconds or raise the stream's retention.
      EOT
    }
  }
}

# The schema the function validates against (SCHEMA), next to the data so that the role needs no other bucket.
resource "aws_s3_object" "schema" {
  count = var.schema_file == "" ? 0 : 1

  bucket       = var.bucket_name
  key          = local.schema_key
  source       = var.schema_file
  source_hash  = filesha256(var.schema_file)
  content_type = "application/schema+json"
  tags         = var.tags

  # A new schema is a new key: the function must be moved to it before the old one goes, or cold starts in between
  # would find no schema.
  lifecycle {
    create_before_destroy = true
  }
}

# The schema's root as the function reads it (a root "$ref" followed), by the rules the catalog module reads it with.
module "schema" {
  source = "../schema"

  schema_file = var.schema_file == "" ? null : var.schema_file
}
