output "name" {
  description = "Name of the stream."
  value       = aws_kinesis_stream.this.name
}

output "arn" {
  description = "ARN of the stream."
  value       = aws_kinesis_stream.this.arn
}

output "kms_key_arn" {
  description = "ARN of the customer managed key encrypting the stream, or null when the AWS managed key is used (consumers need kms:Decrypt only on a customer managed key)."
  value       = var.kms_key_arn
}

output "retention_period_hours" {
  description = "How long the stream keeps records, in hours: the window in which a failed batch can still be read back."
  value       = aws_kinesis_stream.this.retention_period
}
