output "data_key_arn" {
  description = "The key of the stream, the bucket and the on-failure queue: producers need kms:GenerateDataKey on it."
  value       = aws_kms_key.data.arn
}

output "logs_key_arn" {
  description = "The key of the function's log group."
  value       = aws_kms_key.logs.arn
}

output "stream_name" {
  description = "The stream producers write to."
  value       = module.kinesis2s3.stream_name
}

output "redrive_operator_policy_arn" {
  description = "The policy to attach to the operators who run pipelinectl redrive."
  value       = module.kinesis2s3.redrive_operator_policy_arn
}
