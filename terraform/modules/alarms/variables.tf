variable "name_prefix" {
  description = "Prefix of the alarm, topic and dashboard names (the alarm topic's KMS key lets CloudWatch use it only for alarms named <name_prefix>-*)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name_prefix))
    error_message = "name_prefix must be 1-200 characters of letters, digits, '-' or '_'."
  }
}

variable "function_name" {
  description = "Name of the Lambda function to watch."
  type        = string
}

variable "event_source_mapping_uuid" {
  description = "UUID of the function's event source mapping (the EventSourceMappingUUID dimension of the mapping's metrics)."
  type        = string
}

variable "event_source_mapping_metrics" {
  description = "The metrics the mapping publishes. The dropped, failed-invoke and delivered-to-S3 alarms need [\"EventCount\"]: without it they could never fire."
  type        = list(string)
  default     = ["EventCount"]
  nullable    = false
}

variable "dlq" {
  description = "The on-failure SQS queue to watch (name and message retention), or null when failed batches go to S3 instead."
  type = object({
    name                      = string
    message_retention_seconds = number
  })
  default = null
}

variable "stream_retention_hours" {
  description = "Retention of the stream: with maximum_record_age_in_seconds, it bounds how long a failure record in the DLQ still points at data."
  type        = number
}

variable "maximum_record_age_in_seconds" {
  description = "The mapping's maximum record age: the records of a failure record can be that old when it is sent."
  type        = number
}

variable "alarm_actions" {
  description = "ARNs (SNS topics, incident tools) notified when an alarm fires and when it recovers, in addition to the topic this module creates (topic_enabled)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.alarm_actions : startswith(a, "arn:")])
    error_message = "alarm_actions must be ARNs."
  }
}

variable "topic_enabled" {
  description = "Create an SNS topic, <name_prefix>-alarms, that every alarm notifies, encrypted with a customer managed key of its own whose policy lets CloudWatch use it (the AWS managed key aws/sns would not: alarms would notify nobody). Subscribe the on-call to it (email_addresses, or your paging tool)."
  type        = bool
  default     = true
  nullable    = false
}

variable "email_addresses" {
  description = "Email addresses subscribed to the alarm topic (each must confirm the subscription from the email AWS sends)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "email_addresses must be email addresses."
  }
}

variable "iterator_age_threshold_ms" {
  description = "Alarm when the function's IteratorAge maximum exceeds this many milliseconds for evaluation_periods periods."
  type        = number
  default     = 300000
  nullable    = false

  validation {
    condition     = var.iterator_age_threshold_ms >= 1000
    error_message = "iterator_age_threshold_ms must be at least 1000."
  }
}

variable "records_quarantined_threshold" {
  description = "Alarm when the handler quarantines more than this many records in one period (its RecordsQuarantined metric)."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.records_quarantined_threshold >= 0 && floor(var.records_quarantined_threshold) == var.records_quarantined_threshold
    error_message = "records_quarantined_threshold must be a whole number >= 0."
  }
}

variable "period_seconds" {
  description = "Period of the alarms' statistics in seconds (a multiple of 60)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.period_seconds >= 60 && var.period_seconds % 60 == 0
    error_message = "period_seconds must be a multiple of 60."
  }
}

variable "evaluation_periods" {
  description = "Consecutive breaching periods before the iterator-age and failed-invoke alarms fire (the others fire on the first)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number >= 1."
  }
}

variable "dashboard_enabled" {
  description = "Create a CloudWatch dashboard, <name_prefix>-<region> (dashboards are global to the account): iterator age, invocations, errors, throttles, the handler's metrics, the mapping's event counts, the on-failure destination and the alarms."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags for the alarms, topic and key (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
