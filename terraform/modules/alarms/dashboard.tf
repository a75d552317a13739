# One dashboard for the 3 a.m. look: is the pipeline behind, is it failing, is anything waiting to be redriven.

locals {
  region = data.aws_region.current.region

  # [namespace, metric, dimension name, dimension value, options] rows of CloudWatch's dashboard body format.
  fn_metric  = { for m in ["Invocations", "Errors", "Throttles", "DestinationDeliveryFailures"] : m => ["AWS/Lambda", m, "FunctionName", var.function_name, { stat = "Sum" }] }
  esm_metric = { for m in ["PolledEventCount", "InvokedEventCount", "FilteredOutEventCount", "FailedInvokeEventCount", "DroppedEventCount", "OnFailureDestinationDeliveredEventCount"] : m => ["AWS/Lambda", m, "EventSourceMappingUUID", var.event_source_mapping_uuid, { stat = "Sum" }] }
  emf_metric = { for m in ["RecordsIn", "RecordsWritten", "RecordsQuarantined", "RecordsSkipped", "RecordsFailed"] : m => [local.handler_namespace, m, "FunctionName", var.function_name, { stat = "Sum" }] }

  widgets = concat(
    [
      {
        title   = "Iterator age (ms): how far behind the function reads"
        metrics = [["AWS/Lambda", "IteratorAge", "FunctionName", var.function_name, { stat = "Maximum" }]]
      },
      {
        title   = "Invocations, errors, throttles, failed deliveries"
        metrics = values(local.fn_metric)
      },
      {
        title   = "Handler: records in, written, quarantined, skipped, left to retry"
        metrics = values(local.emf_metric)
      },
      {
        title   = "Handler: age of the oldest record on arrival (ms)"
        metrics = [[local.handler_namespace, "MaxArrivalAge", "FunctionName", var.function_name, { stat = "Maximum" }]]
      },
      {
        title   = "Event source mapping: events polled, invoked, filtered, failed, dropped, sent to the on-failure destination"
        metrics = values(local.esm_metric)
      },
    ],
    var.dlq == null ? [] : [
      {
        title = "On-failure queue: failure records waiting, age of the oldest (s)"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq.name, { stat = "Maximum" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.dlq.name, { stat = "Maximum", yAxis = "right" }],
        ]
      },
    ],
  )

  dashboard = {
    widgets = concat(
      [{
        type       = "alarm"
        x          = 0
        y          = 0
        width      = 24
        height     = 3
        properties = { title = "Alarms", alarms = [for a in aws_cloudwatch_metric_alarm.this : a.arn] }
      }],
      [for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = 3 + floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = w.title
          region  = local.region
          metrics = w.metrics
          period  = var.period_seconds
          view    = "timeSeries"
          stacked = false
        }
      }],
    )
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard_enabled ? 1 : 0

  # Dashboards are global to the account, and PutDashboard replaces one of the same name: the region keeps the same
  # stack in two regions apart. name_prefix (at most 200) and a region stay within the name's 255 characters.
  dashboard_name = "${var.name_prefix}-${local.region}"
  dashboard_body = jsonencode(local.dashboard)
}
