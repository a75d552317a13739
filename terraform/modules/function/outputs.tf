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
  description = "UUID of the event source mapping (for aws lambda update-event-source-mapping, and the EventSourceMappingUUID dimension of its metrics)."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "event_source_arn" {
  description = "What the mapping reads: the stream, or with enhanced_fan_out its consumer."
  value       = aws_lambda_event_source_mapping.this.event_source_arn
}

output "stream_consumer_arn" {
  description = "ARN of the enhanced fan-out consumer, or null without enhanced_fan_out."
  value       = var.enhanced_fan_out ? aws_kinesis_stream_consumer.this[0].arn : null
}

output "on_failure_destination_arn" {
  description = "Where the event source mapping sends records that exhausted their retries or aged out."
  value       = aws_lambda_event_source_mapping.this.destination_config[0].on_failure[0].destination_arn
}

output "event_source_mapping_metrics" {
  description = "The metrics the event source mapping publishes ([\"EventCount\"] or [])."
  value       = var.esm_metrics
}

output "environment" {
  description = "The environment variables the function is deployed with."
  value       = aws_lambda_function.this.environment[0].variables
}

output "role_policy_json" {
  description = "The execution role's inline policy, as deployed (JSON)."
  value       = aws_iam_role_policy.this.policy
}

output "maximum_record_age_in_seconds" {
  description = "The mapping's maximum record age: records of a failed batch were at most this old when it was handed to the on-failure destination."
  value       = aws_lambda_event_source_mapping.this.maximum_record_age_in_seconds
}

output "key_prefix" {
  description = "KEY_PREFIX: where the function writes data objects (the bucket's lifecycle rules follow it)."
  value       = var.key_prefix
}

output "error_prefix" {
  description = "ERROR_PREFIX: where the function writes quarantined records."
  value       = var.error_prefix
}

output "partition_columns" {
  description = "The names of partition_keys, in order: the partition columns before year, month, day and hour (for the catalog module)."
  value       = var.partition_keys == "" ? [] : [for pair in split(",", var.partition_keys) : split("=", pair)[0]]
}

output "output_mode" {
  description = "OUTPUT_MODE: record or batch (the catalog module serves batch objects)."
  value       = var.output_mode
}

output "format" {
  description = "FORMAT of batch objects: jsonl or parquet (for the catalog module)."
  value       = var.format
}

output "schema_file" {
  description = "The schema file SCHEMA was uploaded from, or null without one (for the catalog module, which derives its columns from it)."
  value       = var.schema_file == "" ? null : var.schema_file
}

output "schema_prefix" {
  description = "Where the schema is uploaded in the bucket (for the catalog module, which keeps query results out of it)."
  value       = var.schema_prefix
}

output "failed_batch_prefix" {
  description = "The prefix under which Lambda writes failed batches in an S3 on-failure destination: aws/lambda/ (AWS chooses it)."
  value       = local.failed_batch_prefix
}

output "progress_markers_arn" {
  description = "The S3 objects of the function's progress markers, <bucket>/<error_prefix>_progress/* (for the redrive operator's direct mode, which reads them as the function does)."
  value       = local.progress_arn
}

output "schema_object_arn" {
  description = "The S3 object SCHEMA names, or null without one (for the redrive operator's direct mode, which reads it)."
  value       = var.schema_file == "" ? null : "${var.bucket_arn}/${local.schema_key}"
}
