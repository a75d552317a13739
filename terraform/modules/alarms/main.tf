# Four alarms that tell an operator the pipeline needs attention: it falls behind (iterator age), the function fails
# or is throttled, or failed batches are waiting in the DLQ to be redriven.

locals {
  actions = var.alarm_actions

  lambda_alarms = {
    "iterator-age" = {
      description = "Records wait in the stream longer than ${var.iterator_age_threshold_ms} ms before ${var.function_name} processes them: the consumer is falling behind or a batch is being retried."
      metric_name = "IteratorAge"
      statistic   = "Maximum"
      threshold   = var.iterator_age_threshold_ms
      periods     = var.evaluation_periods
    }
    "errors" = {
      description = "${var.function_name} returned errors (whole-batch failures: timeouts, crashes, bad configuration). Check its log group."
      metric_name = "Errors"
      statistic   = "Sum"
      threshold   = 0
      periods     = 1
    }
    "throttles" = {
      description = "${var.function_name} was throttled: raise its reserved concurrency or the account limit."
      metric_name = "Throttles"
      statistic   = "Sum"
      threshold   = 0
      periods     = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each = local.lambda_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric_name
  dimensions          = { FunctionName = var.function_name }
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = each.value.periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  # No invocations means nothing is wrong.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.actions
  ok_actions         = local.actions
  tags               = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "${var.name_prefix}-dlq-not-empty"
  alarm_description   = "Failed batches wait in ${var.dlq_name}: records exhausted their retries or aged out. Redrive them before the stream's retention drops the data."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.dlq_name }
  statistic           = "Maximum"
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}
