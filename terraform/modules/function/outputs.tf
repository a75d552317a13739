output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the execution role (generated from the function name)."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping (for aws lambda update-event-source-mapping)."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "on_failure_destination_arn" {
  description = "Where the event source mapping sends records that exhausted their retries or aged out."
  value       = aws_lambda_event_source_mapping.this.destination_config[0].on_failure[0].destination_arn
}

output "environment" {
  description = "The environment variables the function is deployed with."
  value       = aws_lambda_function.this.environment[0].variables
}

output "role_policy_json" {
  description = "The execution role's inline policy, as deployed (JSON)."
  value       = aws_iam_role_policy.this.policy
}

output "key_prefix" {
  description = "KEY_PREFIX: where the function writes data objects (the bucket's lifecycle rules follow it)."
  value       = var.key_prefix
}

output "error_prefix" {
  description = "ERROR_PREFIX: where the function writes quarantined records."
  value       = var.error_prefix
}
