variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the stack."
  type        = string
  default     = "kinesis2s3-minimal"
}

variable "function_zip_path" {
  description = "The deployment package make build writes, relative to this directory."
  type        = string
  default     = "../../../build/function.zip"
}

variable "alarm_email_addresses" {
  description = "Who hears the alarms (each address confirms the subscription AWS emails it)."
  type        = list(string)
  default     = []
}
