output "stream_name" {
  description = "Name of the Kinesis stream producers write to."
  value       = module.stream.name
}

output "stream_arn" {
  description = "ARN of the Kinesis stream."
  value       = module.stream.arn
}

output "bucket_name" {
  description = "Name of the output bucket."
  value       = module.bucket.name
}

output "bucket_arn" {
  description = "ARN of the output bucket."
  value       = module.bucket.arn
}

output "dlq_url" {
  description = "URL of the on-failure queue, which the redrive tool reads."
  value       = module.dlq.url
}

output "dlq_arn" {
  description = "ARN of the on-failure queue."
  value       = module.dlq.arn
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = module.function.function_arn
}

output "log_group_name" {
  description = "Log group of the function."
  value       = module.function.log_group_name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = module.function.role_arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping (aws lambda update-event-source-mapping --uuid ...)."
  value       = module.function.event_source_mapping_uuid
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms by kind (empty when alarms_enabled is false)."
  value       = var.alarms_enabled ? module.alarms[0].alarm_names : {}
}
