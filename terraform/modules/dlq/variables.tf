variable "name" {
  description = "Name of the queue (1-80 characters: letters, digits, '_' and '-')."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,80}$", var.name))
    error_message = "name must be 1-80 characters of letters, digits, '_' or '-' (FIFO queues cannot be on-failure destinations)."
  }
}

variable "message_retention_seconds" {
  description = "How long a failure record waits to be redriven (60-1,209,600 seconds; default 14 days, the SQS maximum)."
  type        = number
  default     = 1209600
  nullable    = false

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600 && floor(var.message_retention_seconds) == var.message_retention_seconds
    error_message = "message_retention_seconds must be a whole number from 60 to 1209600."
  }
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other consumers (0-43,200 seconds), for a consumer that does not set its own (the console, aws sqs receive-message); pipelinectl redrive sets its own on each receive (--visibility-timeout)."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200 && floor(var.visibility_timeout_seconds) == var.visibility_timeout_seconds
    error_message = "visibility_timeout_seconds must be a whole number from 0 to 43200."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for SSE. null uses SQS-managed encryption (SSE-SQS), which needs no KMS permissions."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_data_key_reuse_period_seconds" {
  description = "With a customer managed key: how long SQS reuses a data key before calling KMS again (60-86,400 seconds)."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "kms_data_key_reuse_period_seconds must be from 60 to 86400."
  }
}

variable "redrive_permission" {
  description = "Redrive-allow policy: which source queues may use this queue as their dead-letter queue: denyAll (none, so the queue only ever holds the mapping's failure records), allowAll, or byQueue (see redrive_source_queue_arns)."
  type        = string
  default     = "denyAll"
  nullable    = false

  validation {
    condition     = contains(["allowAll", "denyAll", "byQueue"], var.redrive_permission)
    error_message = "redrive_permission must be denyAll, allowAll or byQueue."
  }
}

variable "sender_role_arn" {
  description = "The only role that may send to the queue: the function's execution role, with which the event source mapping sends its on-failure records. The queue policy denies sqs:SendMessage to every other principal."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.sender_role_arn))
    error_message = "sender_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "redrive_source_queue_arns" {
  description = "With redrive_permission = byQueue: the source queues (at most 10) allowed to use this queue as their dead-letter queue."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.redrive_source_queue_arns) <= 10
    error_message = "redrive_source_queue_arns may list at most 10 queues."
  }
}

variable "tags" {
  description = "Tags for the queue (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
