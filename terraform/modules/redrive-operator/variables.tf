variable "name" {
  description = "Name of the stack: the policy is named <name>-redrive-<suffix>, with name cut to its first 93 characters (IAM takes 128 in all)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,100}$", var.name))
    error_message = "name must be 1-100 characters allowed in IAM names (letters, digits and +=,.@_-)."
  }
}

variable "modes" {
  description = "How the operators run pipelinectl redrive: dry-run (look only: read the failure records and the data, delete nothing), invoke (-mode invoke: through the deployed function) and/or direct (-mode direct: write to S3 from the operator's machine). Empty: no policy."
  type        = set(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for m in var.modes : contains(["dry-run", "invoke", "direct"], m)])
    error_message = "modes may only contain dry-run, invoke and direct."
  }
}

variable "queue_arn" {
  description = "The on-failure SQS queue to redrive from, or null when failed batches go to S3 (failed_batches_bucket_arn)."
  type        = string
  default     = null
}

variable "queue_kms_key_arn" {
  description = "Customer managed key of the queue, or null."
  type        = string
  default     = null
}

variable "stream_arn" {
  description = "The stream the queue's failure records point into (read back by a redrive from SQS)."
  type        = string
}

variable "stream_kms_key_arn" {
  description = "Customer managed key of the stream, or null."
  type        = string
  default     = null
}

variable "failed_batches_bucket_arn" {
  description = "The bucket that is the S3 on-failure destination (failed batches under aws/lambda/), or null when failure records go to SQS (queue_arn)."
  type        = string
  default     = null
}

variable "failed_batches_kms_key_arn" {
  description = "Customer managed key of that bucket's default encryption, or null."
  type        = string
  default     = null
}

variable "function_arn" {
  description = "The deployed function: invoke mode invokes it, and both modes read its configuration (its role for the events, its environment for direct mode)."
  type        = string
}

variable "bucket_arn" {
  description = "The data bucket direct mode writes to."
  type        = string
}

variable "bucket_kms_key_arn" {
  description = "Customer managed key of the data bucket, or null."
  type        = string
  default     = null
}

variable "schema_object_arn" {
  description = "The function's SCHEMA object, or null: direct mode reads it with the function's settings."
  type        = string
  default     = null
}

variable "key_prefix" {
  description = "The function's KEY_PREFIX: direct mode writes data objects only under it."
  type        = string
}

variable "error_prefix" {
  description = "The function's ERROR_PREFIX: direct mode writes quarantined records only under it."
  type        = string
}

variable "progress_markers_arn" {
  description = "The function's progress markers, <bucket>/<error_prefix>_progress/* (the function module's progress_markers_arn): direct mode reads them, as the function does, to resume a large KPL aggregate where an earlier attempt stopped."
  type        = string
}

variable "tags" {
  description = "Tags for the policy (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
