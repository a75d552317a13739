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
  description = "URL of the on-failure queue, which pipelinectl redrive reads (-queue-url); null with on_failure_destination = \"s3\"."
  value       = one(module.dlq[*].url)
}

output "dlq_arn" {
  description = "ARN of the on-failure queue; null with on_failure_destination = \"s3\"."
  value       = one(module.dlq[*].arn)
}

output "on_failure_destination_arn" {
  description = "Where the event source mapping sends the batches it gives up on: the queue or the bucket."
  value       = module.function.on_failure_destination_arn

  # Settings that would be silently ignored fail the plan instead (checked here: the root has no resource of its own,
  # and these conditions need only the inputs, so they hold at plan time).
  precondition {
    condition     = !local.to_sqs || (var.on_failure_s3_bucket_arn == null && var.on_failure_s3_kms_key_arn == null)
    error_message = "on_failure_s3_bucket_arn and on_failure_s3_kms_key_arn are for on_failure_destination = \"s3\": with \"sqs\" nothing would use them. Remove them, or set on_failure_destination = \"s3\"."
  }
  precondition {
    condition     = local.to_sqs || var.on_failure_s3_kms_key_arn == null || var.on_failure_s3_bucket_arn != null
    error_message = "on_failure_s3_kms_key_arn is the key of on_failure_s3_bucket_arn: without that bucket the failed batches go to the data bucket, under the data bucket's key (bucket_kms_key_arn). Set on_failure_s3_bucket_arn, or remove on_failure_s3_kms_key_arn."
  }
}

output "failed_batches_s3_uri" {
  description = "With on_failure_destination = \"s3\": where the failed batches are, s3://<bucket>/aws/lambda/<mapping UUID>/ (what pipelinectl redrive -source reads); null with SQS."
  value       = local.to_sqs ? null : "s3://${split(":::", local.failed_batches_bucket_arn)[1]}/${module.function.failed_batch_prefix}${module.function.event_source_mapping_uuid}/"
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

output "stream_consumer_arn" {
  description = "ARN of the function's enhanced fan-out consumer, or null without enhanced_fan_out."
  value       = module.function.stream_consumer_arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms by kind (empty when alarms_enabled is false)."
  value       = var.alarms_enabled ? module.alarms[0].alarm_names : {}
}

output "alarm_topic_arn" {
  description = "The SNS topic every alarm notifies: subscribe the on-call to it. null without alarms or alarm_topic_enabled."
  value       = one(module.alarms[*].topic_arn)
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard, or null."
  value       = one(module.alarms[*].dashboard_name)
}

output "redrive_operator_policy_arn" {
  description = "ARN of the IAM policy for the operators who run pipelinectl redrive (attach it to their role or group), or null without redrive_operator_modes."
  value       = module.redrive_operator.policy_arn
}

output "athena" {
  description = "The catalog (batch mode): Glue database and tables, Athena workgroup, results location, and an IAM policy for those who query; null without it."
  value = length(module.catalog) == 0 ? null : {
    database          = module.catalog[0].database_name
    records_table     = module.catalog[0].records_table_name
    quarantine_table  = module.catalog[0].quarantine_table_name
    workgroup         = module.catalog[0].workgroup_name
    results_location  = module.catalog[0].results_location
    query_policy_json = module.catalog[0].query_policy_json
  }
}
