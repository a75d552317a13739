variable "name" {
  description = "Names the Athena workgroup and, unless database_name is set, the Glue database (lowercased, '-' as '_')."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, '-' or '_'."
  }
}

variable "database_name" {
  description = "Name of the Glue database, or null to derive it from name."
  type        = string
  default     = null

  validation {
    condition     = var.database_name == null || can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name must be 1-255 characters of lowercase letters, digits and '_' (Athena's rule)."
  }
}

variable "bucket_name" {
  description = "The bucket the function writes to."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of that bucket, for the query policy."
  type        = string

  validation {
    condition     = startswith(var.bucket_arn, "arn:") && !strcontains(var.bucket_arn, "*")
    error_message = "bucket_arn must be the ARN of one bucket, without wildcards."
  }
}

variable "key_prefix" {
  description = "KEY_PREFIX of the function: the records table covers it."
  type        = string
  default     = "kinesis/"
  nullable    = false

  validation {
    condition     = var.key_prefix != "" && !startswith(var.key_prefix, "/") && endswith(var.key_prefix, "/")
    error_message = "key_prefix must be a non-empty folder (ending in '/', not starting with '/') for a table to cover it."
  }
}

variable "error_prefix" {
  description = "ERROR_PREFIX of the function: the quarantine table covers it."
  type        = string
  default     = "errors/"
  nullable    = false

  validation {
    condition     = var.error_prefix != "" && !startswith(var.error_prefix, "/") && endswith(var.error_prefix, "/")
    error_message = "error_prefix must be a non-empty folder (ending in '/', not starting with '/') for a table to cover it."
  }
}

variable "format" {
  description = "FORMAT of the function's batch objects: jsonl (the Hive JSON SerDe reads .jsonl, .jsonl.gz and .jsonl.zst) or parquet."
  type        = string
  default     = "jsonl"
  nullable    = false

  validation {
    condition     = contains(["jsonl", "parquet"], var.format)
    error_message = "format must be jsonl or parquet."
  }
}

variable "schema_file" {
  description = "Path of the function's JSON Schema document (the function module's schema_file), from which the columns are derived by the function's rules. null, or a schema that makes no column: a jsonl table then has one column, line, holding each record's JSON; parquet needs a schema of objects."
  type        = string
  default     = null

  validation {
    condition     = var.schema_file == null || can(jsondecode(file(var.schema_file)))
    error_message = "schema_file must be the path of a JSON document."
  }
}

variable "partition_columns" {
  description = "The names of the function's PARTITION_KEYS, in order (the function module's partition_columns output): string partition columns before year, month, day and hour, none named like the table's other columns (year, month, day, hour, _extra, line)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = (
      alltrue([for name in var.partition_columns : can(regex("^[a-z_][a-z0-9_]{0,63}$", name))]) &&
      length(distinct(var.partition_columns)) == length(var.partition_columns) &&
      length(setintersection(var.partition_columns, ["_extra", "day", "hour", "line", "month", "year"])) == 0
    )
    error_message = "partition_columns must be distinct names of a-z, 0-9 and _ (at most 64), none of year, month, day, hour (the time levels), _extra (the Parquet column of the fields that are not columns) and line (the jsonl table's column without schema columns): a partition column may not have the name of another column."
  }
}

variable "partition_projection" {
  description = "How Athena projects each partition key: type injected (the default: queries must filter the key with =) or enum with the values as the function writes them (encoded: A-Z a-z 0-9 _ . - as they are, every other byte ! and two upper-case hex digits, e.g. acme!2Feu for acme/eu; __null__ for missing values)."
  type = map(object({
    type   = string
    values = optional(list(string), [])
  }))
  default  = {}
  nullable = false

  validation {
    condition = alltrue([for k, p in var.partition_projection :
      (p.type == "injected" && length(p.values) == 0) ||
      (p.type == "enum" && length(p.values) > 0 && alltrue([for v in p.values : length(v) <= 64 && can(regex("^(?:[A-Za-z0-9_.-]|![0-9A-F]{2})+(?:!![0-9a-f]{16})?$", v))]))
    ])
    error_message = "partition_projection: each key is {type = \"injected\"} or {type = \"enum\", values = [...]}, with values as the function writes them: 1-64 characters, A-Z a-z 0-9 _ . - as they are and every other byte of the value as ! and two upper-case hex digits (acme/eu is acme!2Feu, é is !C3!A9)."
  }
}

variable "results_prefix" {
  description = "Where the workgroup writes query results in the bucket: a prefix the function's role cannot write, clear of key_prefix, error_prefix and reserved_prefixes (from the root: schemas/ and aws/lambda/): neither may start with the other."
  type        = string
  default     = "athena-results/"
  nullable    = false

  validation {
    condition     = var.results_prefix != "" && !startswith(var.results_prefix, "/") && endswith(var.results_prefix, "/")
    error_message = "results_prefix must be a non-empty folder: ending in '/', not starting with '/'."
  }
}

variable "reserved_prefixes" {
  description = "Other prefixes of the bucket that results_prefix must stay clear of (besides key_prefix and error_prefix), by what they hold, which the error names: e.g. the function's schema_prefix, and aws/lambda/ where Lambda writes failed batches."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for p in values(var.reserved_prefixes) : p != "" && !startswith(p, "/")])
    error_message = "reserved_prefixes: each prefix must be non-empty and must not start with '/'."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query of the workgroup that scans more than this many bytes (at least 10 MB, 10485760). 0: no limit."
  type        = number
  default     = 10737418240
  nullable    = false

  validation {
    condition     = var.bytes_scanned_cutoff_per_query == 0 || (var.bytes_scanned_cutoff_per_query >= 10485760 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query)
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of at least 10485760 (10 MB), or 0 (no limit)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed key of the bucket's SSE-KMS encryption, or null (SSE-S3). Query results are encrypted the same way."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or null."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the workgroup with its named queries and query history."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags for the database and the workgroup (in addition to the provider's default_tags)."
  type        = map(string)
  default     = {}
  nullable    = false
}
