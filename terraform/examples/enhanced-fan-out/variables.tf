variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the stack."
  type        = string
  default     = "kinesis2s3-efo"
}

variable "shard_count" {
  description = "Shards of the stream (each consumer gets 2 MB/s of each)."
  type        = number
  default     = 4
}

variable "function_zip_path" {
  description = "The deployment package make build writes, relative to this directory."
  type        = string
  default     = "../../../build/function.zip"
}
