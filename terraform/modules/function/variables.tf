variable "name" {
  description = "Name of the function (1-64 letters, digits, '-' or '_'); also names its log group and prefixes its role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, '-' or '_'."
  }
}

variable "zip_path" {
  description = "Path of the deployment package built by make build (bootstrap at the zip root)."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must name a .zip file (make build writes build/function.zip)."
  }
}

variable "memory_size" {
  description = "Memory in MB (128-10,240). CPU grows with memory: 1,769 MB is one full vCPU."
  type        = number
  default     = 512
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds (1-900). A timed-out batch counts as failed and is retried (bisected)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number from 1 to 900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency, or null for none. The mapping runs at most shards x parallelization_factor invocations at once."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions, false)
    error_message = "reserved_concurrent_executions must be a whole number >= 1, or null: 0 throttles every invocation, so records only age out of the mapping (set enabled = false to pause instead)."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days (a CloudWatch Logs value; 0 keeps logs forever)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  description = "Customer managed KMS key for the log group, or null (CloudWatch Logs encryption). Its key policy must allow the logs service."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "log_level" {
  description = "Application log level of the JSON logs (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "bucket_name" {
  description = "Bucket the handler writes to (BUCKET_NAME)."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of that bucket; s3:PutObject is granted only under key_prefix and error_prefix in it."
  type        = string

  validation {
    condition     = startswith(var.bucket_arn, "arn:") && !strcontains(var.bucket_arn, "*")
    error_message = "bucket_arn must be the ARN of one bucket, without wildcards: the role's permissions are scoped to it."
  }
}

variable "bucket_kms_key_arn" {
  description = "Customer managed key of the bucket's SSE-KMS encryption, or null."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.bucket_kms_key_arn))
    error_message = "bucket_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "output_mode" {
  description = "OUTPUT_MODE: record (one object per record) or batch (one JSON Lines object per shard and hour per invocation). Record mode pays an S3 PUT per record: about $13,000 a month at 1,000 records/s, where batch mode pays a few tens of dollars (pipelinectl cost prices your workload)."
  type        = string
  default     = "record"
  nullable    = false

  validation {
    condition     = contains(["record", "batch"], var.output_mode)
    error_message = "output_mode must be record or batch."
  }
}

variable "key_prefix" {
  description = "KEY_PREFIX of the data objects (non-empty, must not start with '/', and with partition_keys must leave the longest key within S3's 1,024 bytes); s3:PutObject is granted only under it and error_prefix."
  type        = string
  default     = "kinesis/"
  nullable    = false

  validation {
    condition     = var.key_prefix != "" && !startswith(var.key_prefix, "/")
    error_message = "key_prefix must be non-empty and must not start with '/': an empty prefix would let the function write anywhere in the bucket."
  }
  # It ends up in the role's policy as "<bucket>/<prefix>*", where IAM reads * and ? as wildcards and ${ as a
  # policy variable; the function trims surrounding space, IAM does not.
  validation {
    condition     = !can(regex("[*?]|[$][{]", var.key_prefix)) && trimspace(var.key_prefix) == var.key_prefix
    error_message = "key_prefix must not contain *, ? or $${ (IAM reads them as wildcards and variables in the role's policy) nor start or end with white space (the function trims it, the policy would not)."
  }
}

variable "compression" {
  description = "COMPRESSION of batch-mode objects: gzip, zstd or none; snappy too with format = \"parquet\" (whose pages it compresses)."
  type        = string
  default     = "gzip"
  nullable    = false

  validation {
    condition     = contains(["gzip", "zstd", "none", "snappy"], var.compression)
    error_message = "compression must be gzip, zstd, none or snappy (snappy with format = \"parquet\" only)."
  }
}

variable "error_prefix" {
  description = "ERROR_PREFIX of quarantined records (non-empty, must not start with '/', must not overlap key_prefix, at most 727 bytes: S3 takes keys of 1,024)."
  type        = string
  default     = "errors/"
  nullable    = false

  validation {
    condition     = var.error_prefix != "" && !startswith(var.error_prefix, "/")
    error_message = "error_prefix must be non-empty and must not start with '/'."
  }
  validation {
    condition     = !can(regex("[*?]|[$][{]", var.error_prefix)) && trimspace(var.error_prefix) == var.error_prefix
    error_message = "error_prefix must not contain *, ? or $${ (IAM reads them as wildcards and variables in the role's policy) nor start or end with white space (the function trims it, the policy would not)."
  }
}

variable "on_invalid_record" {
  description = "ON_INVALID_RECORD: quarantine (write under error_prefix), fail (report as a batch item failure) or skip."
  type        = string
  default     = "quarantine"
  nullable    = false

  validation {
    condition     = contains(["quarantine", "fail", "skip"], var.on_invalid_record)
    error_message = "on_invalid_record must be quarantine, fail or skip."
  }
}

variable "upload_concurrency" {
  description = "UPLOAD_CONCURRENCY: parallel S3 uploads per invocation (1-512)."
  type        = number
  default     = 64
  nullable    = false

  validation {
    condition     = var.upload_concurrency >= 1 && var.upload_concurrency <= 512 && floor(var.upload_concurrency) == var.upload_concurrency
    error_message = "upload_concurrency must be a whole number from 1 to 512."
  }
}

variable "stream_arn" {
  description = "ARN of the Kinesis stream to read; the role may read only this stream."
  type        = string

  validation {
    condition     = startswith(var.stream_arn, "arn:") && !strcontains(var.stream_arn, "*")
    error_message = "stream_arn must be the ARN of one stream, without wildcards: the role's permissions are scoped to it."
  }
}

variable "stream_retention_hours" {
  description = "Retention of the stream, in hours: maximum_record_age_in_seconds is checked against it, so that no record can expire from the stream before the mapping gives up on it."
  type        = number

  validation {
    condition     = var.stream_retention_hours >= 24 && var.stream_retention_hours <= 8760
    error_message = "stream_retention_hours must be from 24 to 8760 (Kinesis's range)."
  }
}

variable "enhanced_fan_out" {
  description = "Read the stream through a dedicated enhanced fan-out consumer (aws_kinesis_stream_consumer named after the function): 2 MB/s per shard for this function alone and push delivery, instead of sharing each shard's 2 MB/s and 5 reads/s with the stream's other consumers. Billed per consumer-shard hour and per GB."
  type        = bool
  default     = false
  nullable    = false
}

variable "stream_kms_key_arn" {
  description = "Customer managed key encrypting the stream, or null (AWS managed key: no KMS permission needed)."
  type        = string
  default     = null

  validation {
    condition     = var.stream_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.stream_kms_key_arn))
    error_message = "stream_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "on_failure_destination_arn" {
  description = "Where the event source mapping records batches it gives up on: an SQS queue ARN (a pointer to the records: shard and sequence numbers) or an S3 bucket ARN (the whole batch, under aws/lambda/<mapping UUID>/, a prefix AWS chooses). The role may send or write only there."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}|s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$", var.on_failure_destination_arn))
    error_message = "on_failure_destination_arn must be the ARN of one standard SQS queue or of one S3 bucket, without wildcards (FIFO queues cannot be on-failure destinations)."
  }
}

variable "on_failure_kms_key_arn" {
  description = "Customer managed key encrypting the on-failure destination (the queue's SSE-KMS key or the bucket's default key), or null."
  type        = string
  default     = null

  validation {
    condition     = var.on_failure_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.on_failure_kms_key_arn))
    error_message = "on_failure_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "enabled" {
  description = "Whether the event source mapping polls the stream (false pauses processing; records wait in the stream)."
  type        = bool
  default     = true
  nullable    = false
}

variable "starting_position" {
  description = "Where a new mapping starts reading: TRIM_HORIZON (oldest retained record), LATEST or AT_TIMESTAMP."
  type        = string
  default     = "TRIM_HORIZON"
  nullable    = false

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP."
  }
}

variable "starting_position_timestamp" {
  description = "RFC 3339 time to start from with AT_TIMESTAMP (null otherwise)."
  type        = string
  default     = null

  validation {
    condition     = var.starting_position_timestamp == null || can(timeadd(var.starting_position_timestamp, "0s"))
    error_message = "starting_position_timestamp must be an RFC 3339 time such as 2025-01-02T15:04:05Z."
  }
}

variable "batch_size" {
  description = "Most records per invocation (1-10,000)."
  type        = number
  default     = 500
  nullable    = false

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "How long to gather records before invoking (0-300 seconds)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300 && floor(var.maximum_batching_window_in_seconds) == var.maximum_batching_window_in_seconds
    error_message = "maximum_batching_window_in_seconds must be a whole number from 0 to 300."
  }
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard (1-10). Above 1, order is kept per partition key, not per shard, and an SQS on-failure record's range also spans other batches' records, which pipelinectl redrive will not rewrite unless told to (-allow-wider-range): prefer on_failure_destination = \"s3\", which keeps each failed batch's records."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.parallelization_factor >= 1 && var.parallelization_factor <= 10 && floor(var.parallelization_factor) == var.parallelization_factor
    error_message = "parallelization_factor must be a whole number from 1 to 10."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed batch before it goes to the on-failure destination (0-10,000; -1 retries until maximum_record_age_in_seconds)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.maximum_retry_attempts >= -1 && var.maximum_retry_attempts <= 10000 && floor(var.maximum_retry_attempts) == var.maximum_retry_attempts
    error_message = "maximum_retry_attempts must be a whole number from -1 to 10000."
  }
}

variable "maximum_record_age_in_seconds" {
  description = "Records older than this go to the on-failure destination unprocessed (60-604,800 seconds). Must stay below the stream's retention minus the function timeout; -1 (infinite) is refused."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.maximum_record_age_in_seconds >= 60 && var.maximum_record_age_in_seconds <= 604800 && floor(var.maximum_record_age_in_seconds) == var.maximum_record_age_in_seconds
    error_message = "maximum_record_age_in_seconds must be a whole number from 60 to 604800. -1 (infinite) is refused: a record that never ages out is retried, or waits behind throttling, until the stream's retention deletes it, and then it is gone without reaching the on-failure destination and without a metric."
  }
}

variable "filter_patterns" {
  description = "Event filtering patterns (JSON strings, at most 5); records that match none are dropped without invoking the function. An SQS on-failure record's range also spans the dropped records, which pipelinectl redrive will not write unless told to (-allow-wider-range): prefer on_failure_destination = \"s3\", which keeps each failed batch's records."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.filter_patterns) <= 5 && alltrue([for p in var.filter_patterns : can(jsondecode(p))])
    error_message = "filter_patterns must hold at most 5 JSON documents."
  }
}

variable "esm_metrics" {
  description = "Event source mapping metrics to publish: [\"EventCount\"] (polled, filtered, failed, dropped records; CloudWatch charges apply) or []."
  type        = list(string)
  default     = ["EventCount"]
  nullable    = false

  validation {
    condition     = alltrue([for m in var.esm_metrics : m == "EventCount"])
    error_message = "esm_metrics may only contain EventCount."
  }
}

variable "tags" {
  description = "Tags for the function, log group, role and mapping (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "schema_file" {
  description = "Path of a JSON Schema (draft 2020-12) every record must conform to: uploaded to the bucket under schema_prefix, read by the function at cold start (SCHEMA), at most 1 MiB. Required with format = \"parquet\", whose columns it defines. \"\": no validation."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.schema_file == "" || can(jsondecode(file(var.schema_file)))
    error_message = "schema_file must be the path of a JSON document."
  }
  # The function loads no other document at cold start (function/schema).
  validation {
    condition     = var.schema_file == "" || !can(regex("\"[$](ref|dynamicRef|recursiveRef)\"\\s*:\\s*\"[^#]", file(var.schema_file)))
    error_message = "schema_file must be self-contained: its $ref values must start with # (put the definitions in $defs, and refer to them as #/$defs/NAME): the function loads no other document at cold start."
  }
  # The function refuses a larger document at cold start (function/schema: MaxSize). Bytes, read off base64; a missing
  # file is the first validation's error.
  validation {
    condition     = var.schema_file == "" || try(length(filebase64(var.schema_file)) / 4 * 3 - length(regexall("=", filebase64(var.schema_file))) <= 1048576, true)
    error_message = "schema_file must be at most 1 MiB (1048576 bytes): the function reads it whole at cold start and refuses a larger schema."
  }
}

variable "schema_prefix" {
  description = "Where schema_file is uploaded in the bucket: clear of key_prefix, error_prefix and aws/lambda/ (neither may start with the other), where the function may write."
  type        = string
  default     = "schemas/"
  nullable    = false

  validation {
    condition     = var.schema_prefix != "" && !startswith(var.schema_prefix, "/")
    error_message = "schema_prefix must be non-empty and must not start with '/'."
  }
}

variable "transform" {
  description = "TRANSFORM: a jq expression applied to each record before validation; one value replaces the record, empty skips it, an error or more values quarantine it. Example: del(.card) | .amount_cents = (.amount * 100 | floor)."
  type        = string
  default     = ""
  nullable    = false
}

variable "time_field" {
  description = "TIME_FIELD: path of the event time (RFC 3339, or epoch seconds or milliseconds) that chooses the year=/month=/day=/hour= partition, e.g. .created_at. \"\": arrival time. Batch mode only."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.time_field == "" || can(regex("^(\\.[A-Za-z_][A-Za-z0-9_]*|\\.\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|\\.\\[(\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|[0-9]{1,9})\\])(\\.[A-Za-z_][A-Za-z0-9_]*|\\.\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|\\.?\\[(\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|[0-9]{1,9})\\])*$", var.time_field))
    error_message = "time_field must be a field path: .name, .\"any key\", .[\"any key\"] or [N] steps, e.g. .created_at."
  }
}

variable "partition_keys" {
  description = "PARTITION_KEYS: name=path pairs separated by commas, e.g. tenant=.customer.tenant,type=.type: name=value/ key levels before the time levels. Names are a-z, 0-9 and _, and none of year, month, day, hour, _extra and line (the tables have those columns). Batch mode only."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition = var.partition_keys == "" || (
      can(regex("^([a-z_][a-z0-9_]{0,63}=\\.[^,]*)(,[a-z_][a-z0-9_]{0,63}=\\.[^,]*)*$", var.partition_keys)) &&
      alltrue([for pair in split(",", var.partition_keys) : can(regex("^(\\.[A-Za-z_][A-Za-z0-9_]*|\\.\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|\\.\\[(\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|[0-9]{1,9})\\])(\\.[A-Za-z_][A-Za-z0-9_]*|\\.\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|\\.?\\[(\"([^\"\\\\\\x00-\\x1f]|\\\\([\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"|[0-9]{1,9})\\])*$", trimprefix(pair, "${split("=", pair)[0]}=")))]) &&
      length(distinct([for pair in split(",", var.partition_keys) : split("=", pair)[0]])) == length(split(",", var.partition_keys)) &&
      length(setintersection([for pair in split(",", var.partition_keys) : split("=", pair)[0]], ["_extra", "day", "hour", "line", "month", "year"])) == 0 &&
      5 >= length(split(",", var.partition_keys))
    )
    error_message = "partition_keys must be at most 5 name=path pairs separated by commas, e.g. tenant=.customer.tenant,type=.type: distinct names of a-z, 0-9 and _, none of year, month, day, hour (the time levels), _extra (the Parquet column of the fields that are not columns) and line (the jsonl table's column without schema columns), each path .name, .\"any key\", .[\"any key\"] or [N] steps."
  }
}

variable "max_partitions" {
  description = "MAX_PARTITIONS: distinct partitions (partition key values and hour) one invocation may write; the invocation ends before a record that would add more, and the next one starts there (1-10,000)."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_partitions >= 1 && var.max_partitions <= 10000 && floor(var.max_partitions) == var.max_partitions
    error_message = "max_partitions must be a whole number from 1 to 10000."
  }
}

variable "format" {
  description = "FORMAT of batch-mode objects: jsonl (JSON Lines) or parquet (the columns of schema_file, which it needs)."
  type        = string
  default     = "jsonl"
  nullable    = false

  validation {
    condition     = contains(["jsonl", "parquet"], var.format)
    error_message = "format must be jsonl or parquet."
  }
}
