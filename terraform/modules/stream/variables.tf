variable "name" {
  description = "Name of the stream (1-128 characters: letters, digits, '_', '-', '.')."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.name))
    error_message = "name must be 1-128 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "stream_mode" {
  description = "ON_DEMAND (capacity follows traffic, billed per GB) or PROVISIONED (fixed shard_count, billed per shard-hour)."
  type        = string
  default     = "ON_DEMAND"
  nullable    = false

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Number of shards in PROVISIONED mode (each: 1 MB/s or 1,000 records/s in, 2 MB/s out). Must be null in ON_DEMAND mode."
  type        = number
  default     = null

  validation {
    condition     = var.shard_count == null || try(var.shard_count >= 1 && floor(var.shard_count) == var.shard_count, false)
    error_message = "shard_count must be a whole number >= 1 (or null for ON_DEMAND)."
  }
}

variable "retention_period_hours" {
  description = "How long records stay readable (24-8,760 hours). Failed batches can be redriven from the DLQ only while their records are still retained, so keep it well above the time you need to notice and fix a failure."
  type        = number
  default     = 168
  nullable    = false

  validation {
    condition     = var.retention_period_hours >= 24 && var.retention_period_hours <= 8760 && floor(var.retention_period_hours) == var.retention_period_hours
    error_message = "retention_period_hours must be a whole number from 24 to 8760."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for server-side encryption. null uses the AWS managed key alias/aws/kinesis."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); aliases cannot be scoped in IAM policies."
  }
}

variable "shard_level_metrics" {
  description = "Enhanced shard-level CloudWatch metrics to enable (extra cost per shard and metric), e.g. [\"IteratorAgeMilliseconds\"]."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([for m in var.shard_level_metrics : contains([
      "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded",
      "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL",
    ], m)])
    error_message = "shard_level_metrics entries must be Kinesis shard-level metric names (or ALL)."
  }
}

variable "tags" {
  description = "Tags for the stream (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
