# ---------------------------------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------------------------------

variable "region" {
  description = "AWS region to deploy to. null takes it from AWS_REGION / AWS_DEFAULT_REGION or the profile."
  type        = string
  default     = null

  validation {
    condition     = var.region == null || can(regex("^[a-z]{2,}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1, or null."
  }
}

variable "name" {
  description = "Name of the stack: names the stream, function, queue and alarms, and prefixes the bucket and role (lowercase letters, digits, '-'; 3-32 characters)."
  type        = string
  default     = "kinesis2s3"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  description = "Tags applied to every resource (merged into the provider's default_tags with Application and Stack)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags: keys must be 1-128 characters and not start with aws:, values at most 256 characters."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Stream
# ---------------------------------------------------------------------------------------------------------------------

variable "stream_mode" {
  description = "ON_DEMAND (scales itself, billed per GB and stream-hour) or PROVISIONED (shard_count shards, billed per shard-hour)."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Shards in PROVISIONED mode (each takes 1 MB/s or 1,000 records/s). Leave null for ON_DEMAND."
  type        = number
  default     = null

  validation {
    condition     = var.shard_count == null || try(var.shard_count >= 1 && floor(var.shard_count) == var.shard_count, false)
    error_message = "shard_count must be a whole number >= 1, or null."
  }
}

variable "stream_retention_hours" {
  description = "How long the stream keeps records (24-8,760 hours). Failed batches in the DLQ can only be redriven while the stream still holds their records: 7 days leaves time to notice and fix a failure."
  type        = number
  default     = 168

  validation {
    condition     = var.stream_retention_hours >= 24 && var.stream_retention_hours <= 8760 && floor(var.stream_retention_hours) == var.stream_retention_hours
    error_message = "stream_retention_hours must be a whole number from 24 to 8760."
  }
}

variable "stream_kms_key_arn" {
  description = "Customer managed KMS key ARN for stream encryption. null uses the AWS managed key alias/aws/kinesis."
  type        = string
  default     = null

  validation {
    condition     = var.stream_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.stream_kms_key_arn))
    error_message = "stream_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Bucket
# ---------------------------------------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the output bucket (globally unique). null generates one starting with \"<name>-\"."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lowercase letters, digits, '.' and '-', or null."
  }
}

variable "bucket_force_destroy" {
  description = "Let destroy delete the bucket with its objects. Opt in for throwaway stacks only."
  type        = bool
  default     = false
}

variable "bucket_sse_algorithm" {
  description = "Default bucket encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS with the bucket key)."
  type        = string
  default     = "AES256"

  validation {
    condition     = contains(["AES256", "aws:kms"], var.bucket_sse_algorithm)
    error_message = "bucket_sse_algorithm must be AES256 or aws:kms."
  }
}

variable "bucket_kms_key_arn" {
  description = "Customer managed KMS key ARN for SSE-KMS. null with aws:kms uses the AWS managed key aws/s3."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.bucket_kms_key_arn))
    error_message = "bucket_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "bucket_versioning" {
  description = "Enable bucket versioning (noncurrent versions expire after 30 days). Off by default: keys are deterministic, so retries overwrite identical objects."
  type        = bool
  default     = false
}

variable "transition_days" {
  description = "Days after which data objects move to transition_storage_class (null: never; at least 30 for STANDARD_IA and ONEZONE_IA)."
  type        = number
  default     = 30

  validation {
    condition     = var.transition_days == null || try(var.transition_days >= 1 && floor(var.transition_days) == var.transition_days, false)
    error_message = "transition_days must be a whole number >= 1, or null."
  }
}

variable "transition_storage_class" {
  description = "Storage class for aged data objects: STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  type        = string
  default     = "STANDARD_IA"

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.transition_storage_class)
    error_message = "transition_storage_class must be STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }
}

variable "data_expiration_days" {
  description = "Days after which data objects are deleted (null: kept)."
  type        = number
  default     = null

  validation {
    condition     = var.data_expiration_days == null || try(var.data_expiration_days >= 1 && floor(var.data_expiration_days) == var.data_expiration_days, false)
    error_message = "data_expiration_days must be a whole number >= 1, or null."
  }
}

variable "error_expiration_days" {
  description = "Days after which quarantined records under error_prefix are deleted (null: kept)."
  type        = number
  default     = 90

  validation {
    condition     = var.error_expiration_days == null || try(var.error_expiration_days >= 1 && floor(var.error_expiration_days) == var.error_expiration_days, false)
    error_message = "error_expiration_days must be a whole number >= 1, or null."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which unfinished multipart uploads are aborted and their parts deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number >= 1."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# On-failure queue
# ---------------------------------------------------------------------------------------------------------------------

variable "dlq_kms_key_arn" {
  description = "Customer managed KMS key ARN for the on-failure queue. null uses SQS-managed encryption (SSE-SQS)."
  type        = string
  default     = null

  validation {
    condition     = var.dlq_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.dlq_kms_key_arn))
    error_message = "dlq_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "dlq_redrive_permission" {
  description = "Redrive-allow policy of the on-failure queue: denyAll (no other queue may dead-letter into it, so it only ever holds this stack's failure records), allowAll, or null for no policy."
  type        = string
  default     = "denyAll"

  validation {
    condition     = var.dlq_redrive_permission == null || contains(["allowAll", "denyAll"], coalesce(var.dlq_redrive_permission, "-"))
    error_message = "dlq_redrive_permission must be denyAll, allowAll or null."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------------------------------------------------

variable "function_zip_path" {
  description = "Deployment package from make build, relative to this directory (or absolute)."
  type        = string
  default     = "../build/function.zip"

  validation {
    condition     = endswith(var.function_zip_path, ".zip")
    error_message = "function_zip_path must name a .zip file (make build writes build/function.zip)."
  }
}

variable "memory_size" {
  description = "Function memory in MB (128-10,240); CPU scales with it."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds (1-900)."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number from 1 to 900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency for the function, or null for none."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 0 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions, false)
    error_message = "reserved_concurrent_executions must be a whole number >= 0, or null."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's logs in days (a CloudWatch Logs value such as 7, 30, 90, 365; 0 keeps them forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_level" {
  description = "Application log level: TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  }
}

variable "output_mode" {
  description = "record: one JSON object per record; batch: one JSON Lines object per shard and hour per invocation."
  type        = string
  default     = "record"

  validation {
    condition     = contains(["record", "batch"], var.output_mode)
    error_message = "output_mode must be record or batch."
  }
}

variable "key_prefix" {
  description = "Key prefix of the data objects (must not start with '/')."
  type        = string
  default     = "kinesis/"

  validation {
    condition     = !startswith(var.key_prefix, "/")
    error_message = "key_prefix must not start with '/'."
  }
}

variable "compression" {
  description = "Compression of batch-mode objects: gzip, zstd or none."
  type        = string
  default     = "gzip"

  validation {
    condition     = contains(["gzip", "zstd", "none"], var.compression)
    error_message = "compression must be gzip, zstd or none."
  }
}

variable "error_prefix" {
  description = "Key prefix of quarantined records (non-empty, must not start with '/', must differ from key_prefix)."
  type        = string
  default     = "errors/"

  validation {
    condition     = var.error_prefix != "" && !startswith(var.error_prefix, "/")
    error_message = "error_prefix must be non-empty and must not start with '/'."
  }
}

variable "on_invalid_record" {
  description = "What to do with a record that is not one valid JSON value: quarantine, fail or skip."
  type        = string
  default     = "quarantine"

  validation {
    condition     = contains(["quarantine", "fail", "skip"], var.on_invalid_record)
    error_message = "on_invalid_record must be quarantine, fail or skip."
  }
}

variable "upload_concurrency" {
  description = "Parallel S3 uploads per invocation (1-512)."
  type        = number
  default     = 64

  validation {
    condition     = var.upload_concurrency >= 1 && var.upload_concurrency <= 512 && floor(var.upload_concurrency) == var.upload_concurrency
    error_message = "upload_concurrency must be a whole number from 1 to 512."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Event source mapping
# ---------------------------------------------------------------------------------------------------------------------

variable "esm_enabled" {
  description = "Whether the event source mapping polls the stream (false pauses processing; records wait in the stream)."
  type        = bool
  default     = true
}

variable "starting_position" {
  description = "Where a new mapping starts: TRIM_HORIZON (oldest retained record), LATEST or AT_TIMESTAMP."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP."
  }
}

variable "starting_position_timestamp" {
  description = "RFC 3339 start time, required with AT_TIMESTAMP (e.g. 2025-01-02T15:04:05Z)."
  type        = string
  default     = null

  validation {
    condition     = var.starting_position_timestamp == null || can(timeadd(var.starting_position_timestamp, "0s"))
    error_message = "starting_position_timestamp must be an RFC 3339 time such as 2025-01-02T15:04:05Z, or null."
  }
}

variable "batch_size" {
  description = "Most records per invocation (1-10,000)."
  type        = number
  default     = 500

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "Seconds to gather records before invoking (0-300)."
  type        = number
  default     = 5

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300 && floor(var.maximum_batching_window_in_seconds) == var.maximum_batching_window_in_seconds
    error_message = "maximum_batching_window_in_seconds must be a whole number from 0 to 300."
  }
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard (1-10)."
  type        = number
  default     = 1

  validation {
    condition     = var.parallelization_factor >= 1 && var.parallelization_factor <= 10 && floor(var.parallelization_factor) == var.parallelization_factor
    error_message = "parallelization_factor must be a whole number from 1 to 10."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing batch before it goes to the on-failure queue (-1 = infinite, which blocks the shard until the records expire; 0-10,000)."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_retry_attempts >= -1 && var.maximum_retry_attempts <= 10000 && floor(var.maximum_retry_attempts) == var.maximum_retry_attempts
    error_message = "maximum_retry_attempts must be a whole number from -1 to 10000."
  }
}

variable "maximum_record_age_in_seconds" {
  description = "Records older than this go to the on-failure queue unprocessed (-1 = infinite, or 60-604,800)."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_record_age_in_seconds == -1 || (var.maximum_record_age_in_seconds >= 60 && var.maximum_record_age_in_seconds <= 604800 && floor(var.maximum_record_age_in_seconds) == var.maximum_record_age_in_seconds)
    error_message = "maximum_record_age_in_seconds must be -1 or a whole number from 60 to 604800."
  }
}

variable "filter_patterns" {
  description = "Event filtering patterns (JSON, at most 5). Records matching none are dropped without an invocation."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.filter_patterns) <= 5 && alltrue([for p in var.filter_patterns : can(jsondecode(p))])
    error_message = "filter_patterns must hold at most 5 JSON documents."
  }
}

variable "esm_metrics" {
  description = "Event source mapping metrics: [\"EventCount\"] (polled, filtered, failed and dropped records) or [] to save the CloudWatch cost."
  type        = list(string)
  default     = ["EventCount"]

  validation {
    condition     = alltrue([for m in var.esm_metrics : m == "EventCount"])
    error_message = "esm_metrics may only contain EventCount."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------------------------------

variable "alarms_enabled" {
  description = "Create the CloudWatch alarms (iterator age, errors, throttles, DLQ not empty)."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when an alarm fires or recovers."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_actions : startswith(a, "arn:")])
    error_message = "alarm_actions must be ARNs."
  }
}

variable "iterator_age_threshold_ms" {
  description = "Alarm when records wait longer than this (milliseconds, sustained for 5 minutes) before the function processes them."
  type        = number
  default     = 300000

  validation {
    condition     = var.iterator_age_threshold_ms >= 1000
    error_message = "iterator_age_threshold_ms must be at least 1000."
  }
}
