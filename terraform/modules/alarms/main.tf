# Alarms for every way the pipeline can fall behind or lose records, an encrypted SNS topic they notify, and a
# dashboard. Missing data counts as "not breaching" everywhere: an idle pipeline publishes nothing and is healthy.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # The handler's Embedded Metric Format namespace (function/process.Namespace).
  handler_namespace = "kinesis2s3"

  function = { FunctionName = var.function_name }
  mapping  = { EventSourceMappingUUID = var.event_source_mapping_uuid }

  # A failure record points at records that were at most maximum_record_age_in_seconds old when it was sent; they
  # leave the stream when its retention ends, and the record itself leaves the queue after the queue's retention.
  # The age alarm fires when half of the shorter of the two windows is gone.
  redrive_window_seconds = var.dlq == null ? 0 : min(var.stream_retention_hours * 3600 - var.maximum_record_age_in_seconds, var.dlq.message_retention_seconds)
  dlq_age_threshold      = floor(local.redrive_window_seconds / 2)

  alarms = merge(
    {
      "iterator-age" = {
        description = "Records wait in the stream longer than ${var.iterator_age_threshold_ms} ms before ${var.function_name} processes them: the consumer is falling behind or a batch is being retried."
        namespace   = "AWS/Lambda"
        metric      = "IteratorAge"
        dimensions  = local.function
        statistic   = "Maximum"
        threshold   = var.iterator_age_threshold_ms
        periods     = var.evaluation_periods
      }
      "errors" = {
        description = "${var.function_name} returned errors (whole-batch failures: timeouts, crashes, bad configuration). Check its log group."
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = local.function
        statistic   = "Sum"
        threshold   = 0
        periods     = 1
      }
      "throttles" = {
        description = "${var.function_name} was throttled: raise its reserved concurrency or the account limit. Throttled batches age towards maximum_record_age_in_seconds."
        namespace   = "AWS/Lambda"
        metric      = "Throttles"
        dimensions  = local.function
        statistic   = "Sum"
        threshold   = 0
        periods     = 1
      }
      "destination-delivery-failures" = {
        description = "The mapping gave up on a batch of ${var.function_name} and could not deliver it to the on-failure destination: the batch is lost and nothing points at it. Check the role's permission on the destination and its KMS key; the records may still be in the stream."
        namespace   = "AWS/Lambda"
        metric      = "DestinationDeliveryFailures"
        dimensions  = local.function
        statistic   = "Sum"
        threshold   = 0
        periods     = 1
      }
      "dropped-events" = {
        description = "The mapping of ${var.function_name} dropped records (aged out or out of retries) without delivering them to the on-failure destination: they are lost."
        namespace   = "AWS/Lambda"
        metric      = "DroppedEventCount"
        dimensions  = local.mapping
        statistic   = "Sum"
        threshold   = 0
        periods     = 1
      }
      "failed-invoke-events" = {
        description = "The mapping of ${var.function_name} has failed to invoke it, or had records reported as failed, for ${var.evaluation_periods} periods in a row: a batch is stuck in retries (permissions, a deleted function, a persistent write failure)."
        namespace   = "AWS/Lambda"
        metric      = "FailedInvokeEventCount"
        dimensions  = local.mapping
        statistic   = "Sum"
        threshold   = 0
        periods     = var.evaluation_periods
      }
      "records-quarantined" = {
        description = "${var.function_name} quarantined more than ${var.records_quarantined_threshold} records in a period: records it could not write as data (not JSON or UTF-8, against the schema, failing the transform or the partition keys), each with its reason, under the error prefix of the bucket."
        namespace   = local.handler_namespace
        metric      = "RecordsQuarantined"
        dimensions  = local.function
        statistic   = "Sum"
        threshold   = var.records_quarantined_threshold
        periods     = 1
      }
    },
    var.dlq != null ? {} : {
      "failed-batches-in-s3" = {
        description = "The mapping of ${var.function_name} gave up on batches and wrote them to the S3 on-failure destination (aws/lambda/${var.event_source_mapping_uuid}/): redrive them from there. This alarm clears by itself the next period, redriven or not: what is left under that prefix is what still waits."
        namespace   = "AWS/Lambda"
        metric      = "OnFailureDestinationDeliveredEventCount"
        dimensions  = local.mapping
        statistic   = "Sum"
        threshold   = 0
        periods     = 1
      }
    },
    var.dlq == null ? {} : {
      "dlq-not-empty" = {
        description = "Failed batches wait in ${var.dlq.name}: records exhausted their retries or aged out. Redrive them before the stream's retention drops the data."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = var.dlq.name }
        statistic   = "Maximum"
        threshold   = 0
        periods     = 1
      }
      "dlq-age" = {
        description = "The oldest failure record in ${var.dlq.name} is older than ${local.dlq_age_threshold} s, half of its redrive window of ${local.redrive_window_seconds} s (the stream's retention less the maximum record age, or the queue's retention if shorter). Redrive now: once the window ends, its records are gone from the stream or the record from the queue. SQS leaves a message received three or more times (each redrive dry run is a receive) out of this metric: pipelinectl redrive -dry-run prints each message's time left."
        namespace   = "AWS/SQS"
        metric      = "ApproximateAgeOfOldestMessage"
        dimensions  = { QueueName = var.dlq.name }
        statistic   = "Maximum"
        threshold   = local.dlq_age_threshold
        periods     = 1
      }
    },
  )

  actions = concat(aws_sns_topic.alarms[*].arn, var.alarm_actions)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = each.value.periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = contains(var.event_source_mapping_metrics, "EventCount") || each.value.dimensions != local.mapping
      error_message = "The alarm ${each.key} watches a metric of the event source mapping, which publishes it only with esm_metrics = [\"EventCount\"]: turn the mapping's metrics on, or the alarms off."
    }
    precondition {
      condition     = length(local.actions) <= 5
      error_message = "CloudWatch takes at most 5 actions per alarm state: alarm_actions may hold ${var.topic_enabled ? 4 : 5} ARNs beside ${var.topic_enabled ? "the module's topic" : "none"} (subscribe more to the topic instead)."
    }
    precondition {
      condition     = var.topic_enabled || length(var.email_addresses) == 0
      error_message = "email_addresses are subscribed to the alarm topic: they need topic_enabled = true."
    }
  }
}

# The alarms of versions before the for_each over local.alarms.
moved {
  from = aws_cloudwatch_metric_alarm.lambda["iterator-age"]
  to   = aws_cloudwatch_metric_alarm.this["iterator-age"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda["errors"]
  to   = aws_cloudwatch_metric_alarm.this["errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda["throttles"]
  to   = aws_cloudwatch_metric_alarm.this["throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq
  to   = aws_cloudwatch_metric_alarm.this["dlq-not-empty"]
}
