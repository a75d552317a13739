variable "name" {
  description = "Bucket name (globally unique, 3-63 lowercase characters). null lets AWS generate one from name_prefix."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 characters of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "name_prefix" {
  description = "Prefix of the generated bucket name when name is null (at most 37 characters)."
  type        = string
  default     = "kinesis2s3-"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{0,36}$", var.name_prefix))
    error_message = "name_prefix must be 1-37 characters of lowercase letters, digits, '.' and '-', starting with a letter or digit."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a bucket that still holds objects. Opt in only for throwaway environments."
  type        = bool
  default     = false
  nullable    = false
}

variable "sse_algorithm" {
  description = "Default encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS, with the S3 bucket key)."
  type        = string
  default     = "AES256"
  nullable    = false

  validation {
    condition     = contains(["AES256", "aws:kms"], var.sse_algorithm)
    error_message = "sse_algorithm must be AES256 or aws:kms."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for SSE-KMS. null with aws:kms uses the AWS managed key aws/s3."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "versioning" {
  description = "Enable versioning. Off by default: the writer's keys are deterministic, so a retried batch overwrites its own objects and versioning would keep a copy per retry."
  type        = bool
  default     = false
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "With versioning, delete noncurrent versions this many days after they are replaced."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

variable "data_prefix" {
  description = "Key prefix of the data objects (the writer's KEY_PREFIX, e.g. the function module's key_prefix output); the transition and data expiration rules apply to it."
  type        = string

  validation {
    condition     = length(var.data_prefix) > 0
    error_message = "data_prefix must not be empty: the transition and expiration rules would otherwise cover the whole bucket."
  }
}

variable "error_prefix" {
  description = "Key prefix of quarantined records (the writer's ERROR_PREFIX, e.g. the function module's error_prefix output); the error expiration rule applies to it."
  type        = string

  validation {
    condition     = length(var.error_prefix) > 0
    error_message = "error_prefix must not be empty: the expiration rule would otherwise cover the whole bucket."
  }
}

variable "results_prefix" {
  description = "Key prefix of Athena's query results in this bucket (the catalog module's results_prefix output), or null if there are none; the results expiration rule applies to it. It must not overlap data_prefix or error_prefix (the catalog module checks)."
  type        = string
  default     = null

  validation {
    condition     = var.results_prefix != ""
    error_message = "results_prefix must not be empty (null: no query results here): the expiration rule would otherwise cover the whole bucket."
  }
}

variable "transition_days" {
  description = "Move data objects to transition_storage_class this many days after creation. 0 disables the transition."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.transition_days >= 0 && floor(var.transition_days) == var.transition_days
    error_message = "transition_days must be a whole number >= 0 (0: never)."
  }
}

variable "transition_storage_class" {
  description = "Storage class data objects move to (STANDARD_IA and ONEZONE_IA need transition_days >= 30). GLACIER and DEEP_ARCHIVE are archives Athena cannot read: with queried_by_athena they need allow_archive_transition."
  type        = string
  default     = "STANDARD_IA"
  nullable    = false

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.transition_storage_class)
    error_message = "transition_storage_class must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE."
  }
}

variable "queried_by_athena" {
  description = "Athena tables cover data_prefix (the catalog module): a transition to an archive storage class (GLACIER, DEEP_ARCHIVE) is then refused unless allow_archive_transition."
  type        = bool
  default     = false
  nullable    = false
}

variable "allow_archive_transition" {
  description = "With queried_by_athena, let data move to GLACIER or DEEP_ARCHIVE anyway, knowing that Athena skips GLACIER objects (queries return no rows for them, without an error) and fails on DEEP_ARCHIVE ones, until they are restored: for data queried only in its first transition_days."
  type        = bool
  default     = false
  nullable    = false
}

variable "data_expiration_days" {
  description = "Delete data objects this many days after creation. 0 keeps them."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.data_expiration_days >= 0 && floor(var.data_expiration_days) == var.data_expiration_days
    error_message = "data_expiration_days must be a whole number >= 0 (0: kept)."
  }
}

variable "error_expiration_days" {
  description = "Delete quarantined records under error_prefix this many days after creation. 0 keeps them."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.error_expiration_days >= 0 && floor(var.error_expiration_days) == var.error_expiration_days
    error_message = "error_expiration_days must be a whole number >= 0 (0: kept)."
  }
}

variable "results_expiration_days" {
  description = "Delete Athena query results under results_prefix this many days after creation. 0 keeps them. A result stays downloadable from the query history until then; CTAS tables that Athena places under the results location (tables/<query id>/) expire with it."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.results_expiration_days >= 0 && floor(var.results_expiration_days) == var.results_expiration_days
    error_message = "results_expiration_days must be a whole number >= 0 (0: kept)."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Abort multipart uploads still incomplete after this many days (their parts are billed until then)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number >= 1."
  }
}

variable "tags" {
  description = "Tags for the bucket (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
