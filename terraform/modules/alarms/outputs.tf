output "alarm_names" {
  description = "Names of the alarms, by kind (iterator-age, errors, throttles, dlq-not-empty)."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.lambda : k => a.alarm_name },
    { "dlq-not-empty" = aws_cloudwatch_metric_alarm.dlq.alarm_name },
  )
}

output "alarm_arns" {
  description = "ARNs of the alarms, by kind."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.lambda : k => a.arn },
    { "dlq-not-empty" = aws_cloudwatch_metric_alarm.dlq.arn },
  )
}
