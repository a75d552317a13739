output "alarm_names" {
  description = "Names of the alarms, by kind (iterator-age, errors, throttles, destination-delivery-failures, dropped-events, failed-invoke-events, records-quarantined, and dlq-not-empty and dlq-age or failed-batches-in-s3)."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.alarm_name }
}

output "alarm_arns" {
  description = "ARNs of the alarms, by kind."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.arn }
}

output "topic_arn" {
  description = "ARN of the alarm topic every alarm notifies, or null without topic_enabled. Subscribe your on-call to it."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "topic_kms_key_arn" {
  description = "ARN of the customer managed KMS key encrypting the alarm topic, or null without topic_enabled."
  value       = one(aws_kms_key.topic[*].arn)
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard, or null without dashboard_enabled."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}
