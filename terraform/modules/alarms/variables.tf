variable "name_prefix" {
  description = "Prefix of the alarm names."
  type        = string

  validation {
    condition     = length(var.name_prefix) >= 1 && length(var.name_prefix) <= 200
    error_message = "name_prefix must be 1-200 characters."
  }
}

variable "function_name" {
  description = "Name of the Lambda function to watch."
  type        = string
}

variable "dlq_name" {
  description = "Name of the on-failure SQS queue to watch."
  type        = string
}

variable "alarm_actions" {
  description = "ARNs (usually SNS topics) notified when an alarm fires and when it recovers. Empty: alarms only show in the console."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.alarm_actions : startswith(a, "arn:")])
    error_message = "alarm_actions must be ARNs."
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
  description = "Consecutive breaching periods before the iterator-age alarm fires (the others fire on the first)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number >= 1."
  }
}

variable "tags" {
  description = "Tags for the alarms (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
