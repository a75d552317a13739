variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the stack (the logs key is scoped to its log group)."
  type        = string
  default     = "kinesis2s3-cmk"
}

variable "function_zip_path" {
  description = "The deployment package make build writes, relative to this directory."
  type        = string
  default     = "../../../build/function.zip"
}
