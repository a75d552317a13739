variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the stack."
  type        = string
  default     = "orders-athena"
}

variable "function_zip_path" {
  description = "The function's package (make build)."
  type        = string
  default     = "../../../build/function.zip"
}

variable "format" {
  description = "parquet, or jsonl to keep JSON Lines (zstd); the table follows."
  type        = string
  default     = "parquet"
}
