# The alarms module on its own: one alarm for every way the pipeline falls behind or loses records, each asserted in
# full (namespace, metric, dimensions, statistic, comparison, threshold, periods, missing data); the encrypted topic
# they notify and the key policy that lets CloudWatch use it; the dashboard; and the validation of its inputs.

mock_provider "aws" {
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/55555555-5555-5555-5555-555555555555" }
  }
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  name_prefix                   = "k2s3-test"
  function_name                 = "k2s3-test"
  event_source_mapping_uuid     = "11111111-2222-3333-4444-555555555555"
  stream_retention_hours        = 168
  maximum_record_age_in_seconds = 3600
  dlq = {
    name                      = "k2s3-test-on-failure"
    message_retention_seconds = 1209600
  }
}

run "sqs_destination" {
  command = apply

  module {
    source = "./modules/alarms"
  }

  assert {
    condition = { for k, a in aws_cloudwatch_metric_alarm.this : k => [a.alarm_name, a.namespace, a.metric_name, a.dimensions, a.statistic, a.comparison_operator, a.threshold, a.evaluation_periods, a.period, a.treat_missing_data] } == {
      "iterator-age"                  = ["k2s3-test-iterator-age", "AWS/Lambda", "IteratorAge", tomap({ FunctionName = "k2s3-test" }), "Maximum", "GreaterThanThreshold", 300000, 5, 60, "notBreaching"]
      "errors"                        = ["k2s3-test-errors", "AWS/Lambda", "Errors", tomap({ FunctionName = "k2s3-test" }), "Sum", "GreaterThanThreshold", 0, 1, 60, "notBreaching"]
      "throttles"                     = ["k2s3-test-throttles", "AWS/Lambda", "Throttles", tomap({ FunctionName = "k2s3-test" }), "Sum", "GreaterThanThreshold", 0, 1, 60, "notBreaching"]
      "destination-delivery-failures" = ["k2s3-test-destination-delivery-failures", "AWS/Lambda", "DestinationDeliveryFailures", tomap({ FunctionName = "k2s3-test" }), "Sum", "GreaterThanThreshold", 0, 1, 60, "notBreaching"]
      "dropped-events"                = ["k2s3-test-dropped-events", "AWS/Lambda", "DroppedEventCount", tomap({ EventSourceMappingUUID = "11111111-2222-3333-4444-555555555555" }), "Sum", "GreaterThanThreshold", 0, 1, 60, "notBreaching"]
      "failed-invoke-events"          = ["k2s3-test-failed-invoke-events", "AWS/Lambda", "FailedInvokeEventCount", tomap({ EventSourceMappingUUID = "11111111-2222-3333-4444-555555555555" }), "Sum", "GreaterThanThreshold", 0, 5, 60, "notBreaching"]
      "records-quarantined"           = ["k2s3-test-records-quarantined", "kinesis2s3", "RecordsQuarantined", tomap({ FunctionName = "k2s3-test" }), "Sum", "GreaterThanThreshold", 0, 1, 60, "notBreaching"]
      "dlq-not-empty"                 = ["k2s3-test-dlq-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible", tomap({ QueueName = "k2s3-test-on-failure" }), "Maximum", "GreaterThanThreshold", 0, 1, 60, "notBreaching"]
      # Half of the redrive window: 168 h of retention less 1 h of record age (the queue keeps messages longer).
      "dlq-age" = ["k2s3-test-dlq-age", "AWS/SQS", "ApproximateAgeOfOldestMessage", tomap({ QueueName = "k2s3-test-on-failure" }), "Maximum", "GreaterThanThreshold", 300600, 1, 60, "notBreaching"]
    }
    error_message = "Each loss path must have its alarm, on the right metric, dimension and statistic, firing above its threshold after its periods, and an idle pipeline (no data) must not alarm."
  }
  assert {
    condition = alltrue([for a in aws_cloudwatch_metric_alarm.this :
      a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms"]) && a.ok_actions == toset(["arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms"])
    ])
    error_message = "Every alarm must notify the alarm topic when it fires and when it recovers."
  }
  assert {
    condition = (
      aws_sns_topic.alarms[0].name == "k2s3-test-alarms" &&
      aws_sns_topic.alarms[0].kms_master_key_id == aws_kms_key.topic[0].arn &&
      aws_kms_key.topic[0].enable_key_rotation == true &&
      length(aws_sns_topic_subscription.email) == 0
    )
    error_message = "The topic must be encrypted with a key of its own, rotated yearly, and have no subscription unless asked for."
  }
  assert {
    condition = jsondecode(aws_kms_key.topic[0].policy).Statement == [
      {
        Sid       = "EnableIAMPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::123456789012:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "AllowCloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = "123456789012" }
          ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:k2s3-test-*" }
        }
      },
    ]
    error_message = "The key policy must let CloudWatch, for this stack's alarms only, encrypt the messages it publishes (without this the alarms notify nobody). Got ${aws_kms_key.topic[0].policy}"
  }
  assert {
    condition = jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement == [
      {
        Sid       = "AllowCloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = "arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms"
        Condition = {
          StringEquals = { "aws:SourceAccount" = "123456789012" }
          ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:k2s3-test-*" }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = "arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
    error_message = "The topic policy must let this stack's alarms publish, over TLS. Got ${aws_sns_topic_policy.alarms[0].policy}"
  }
  assert {
    condition = toset(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : [for m in w.properties.metrics : "${m[0]} ${m[1]} ${m[3]} ${m[4].stat}"] if w.type == "metric"])) == toset([
      "AWS/Lambda IteratorAge k2s3-test Maximum",
      "AWS/Lambda Invocations k2s3-test Sum",
      "AWS/Lambda Errors k2s3-test Sum",
      "AWS/Lambda Throttles k2s3-test Sum",
      "AWS/Lambda DestinationDeliveryFailures k2s3-test Sum",
      "kinesis2s3 RecordsIn k2s3-test Sum",
      "kinesis2s3 RecordsWritten k2s3-test Sum",
      "kinesis2s3 RecordsQuarantined k2s3-test Sum",
      "kinesis2s3 RecordsSkipped k2s3-test Sum",
      "kinesis2s3 RecordsFailed k2s3-test Sum",
      "kinesis2s3 MaxArrivalAge k2s3-test Maximum",
      "AWS/Lambda PolledEventCount 11111111-2222-3333-4444-555555555555 Sum",
      "AWS/Lambda InvokedEventCount 11111111-2222-3333-4444-555555555555 Sum",
      "AWS/Lambda FilteredOutEventCount 11111111-2222-3333-4444-555555555555 Sum",
      "AWS/Lambda FailedInvokeEventCount 11111111-2222-3333-4444-555555555555 Sum",
      "AWS/Lambda DroppedEventCount 11111111-2222-3333-4444-555555555555 Sum",
      "AWS/Lambda OnFailureDestinationDeliveredEventCount 11111111-2222-3333-4444-555555555555 Sum",
      "AWS/SQS ApproximateNumberOfMessagesVisible k2s3-test-on-failure Maximum",
      "AWS/SQS ApproximateAgeOfOldestMessage k2s3-test-on-failure Maximum",
    ])
    error_message = "The dashboard must show iterator age, invocations, errors, throttles, failed deliveries, the handler's metrics, the mapping's event counts and the queue's depth and age."
  }
  assert {
    condition = (
      aws_cloudwatch_dashboard.this[0].dashboard_name == "k2s3-test-eu-west-1" &&
      one([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.alarms if w.type == "alarm"]) == [for a in aws_cloudwatch_metric_alarm.this : a.arn]
    )
    error_message = "The dashboard must show the state of every alarm."
  }
  assert {
    condition = (
      output.alarm_names == { for k, a in aws_cloudwatch_metric_alarm.this : k => a.alarm_name } &&
      output.topic_arn == "arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms" &&
      output.topic_kms_key_arn == aws_kms_key.topic[0].arn &&
      output.dashboard_name == "k2s3-test-eu-west-1"
    )
    error_message = "The outputs must name the alarms, the topic, its key and the dashboard."
  }
}

run "s3_destination" {
  command = apply

  module {
    source = "./modules/alarms"
  }

  variables {
    dlq = null
  }

  assert {
    condition = (
      !contains(keys(aws_cloudwatch_metric_alarm.this), "dlq-not-empty") && !contains(keys(aws_cloudwatch_metric_alarm.this), "dlq-age") &&
      [for k, a in aws_cloudwatch_metric_alarm.this : [a.namespace, a.metric_name, a.dimensions, a.statistic, a.comparison_operator, a.threshold, a.evaluation_periods, a.treat_missing_data] if k == "failed-batches-in-s3"] == [
        ["AWS/Lambda", "OnFailureDestinationDeliveredEventCount", tomap({ EventSourceMappingUUID = "11111111-2222-3333-4444-555555555555" }), "Sum", "GreaterThanThreshold", 0, 1, "notBreaching"],
      ]
    )
    error_message = "With failed batches in S3, the alarm must watch the batches delivered there instead of a queue."
  }
  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w if strcontains(jsonencode(try(w.properties.metrics, [])), "AWS/SQS")]) == 0
    error_message = "Without a queue the dashboard must not show one."
  }
}

run "actions_and_emails" {
  command = apply

  module {
    source = "./modules/alarms"
  }

  variables {
    alarm_actions                 = ["arn:aws:sns:eu-west-1:123456789012:pager"]
    email_addresses               = ["oncall@example.com", "data-team@example.com"]
    iterator_age_threshold_ms     = 60000
    records_quarantined_threshold = 10
    evaluation_periods            = 3
    period_seconds                = 300
  }

  assert {
    condition = alltrue([for a in aws_cloudwatch_metric_alarm.this :
      a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms", "arn:aws:sns:eu-west-1:123456789012:pager"]) &&
      a.ok_actions == a.alarm_actions && a.period == 300
    ])
    error_message = "alarm_actions must be notified as well as the topic; the period must follow period_seconds."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["iterator-age"].threshold == 60000 && aws_cloudwatch_metric_alarm.this["iterator-age"].evaluation_periods == 3 &&
      aws_cloudwatch_metric_alarm.this["failed-invoke-events"].evaluation_periods == 3 &&
      aws_cloudwatch_metric_alarm.this["records-quarantined"].threshold == 10
    )
    error_message = "Thresholds and evaluation periods must follow the variables."
  }
  assert {
    condition = (
      { for k, s in aws_sns_topic_subscription.email : k => [s.protocol, s.endpoint, s.topic_arn] } == {
        "oncall@example.com"    = ["email", "oncall@example.com", "arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms"]
        "data-team@example.com" = ["email", "data-team@example.com", "arn:aws:sns:eu-west-1:123456789012:k2s3-test-alarms"]
      }
    )
    error_message = "Each address must be subscribed to the topic by email."
  }
}

run "no_topic_no_dashboard_and_a_short_redrive_window" {
  command = plan

  module {
    source = "./modules/alarms"
  }

  variables {
    topic_enabled                 = false
    dashboard_enabled             = false
    alarm_actions                 = ["arn:aws:sns:eu-west-1:123456789012:pager"]
    stream_retention_hours        = 24
    maximum_record_age_in_seconds = 3600
    dlq = {
      name                      = "k2s3-test-on-failure"
      message_retention_seconds = 3600
    }
  }

  assert {
    condition = (
      length(aws_sns_topic.alarms) == 0 && length(aws_kms_key.topic) == 0 && length(aws_cloudwatch_dashboard.this) == 0 &&
      aws_cloudwatch_metric_alarm.this["errors"].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:pager"])
    )
    error_message = "Without the topic the alarms must notify alarm_actions only; without the dashboard there is none."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["dlq-age"].threshold == 1800
    error_message = "The age alarm must fire at half of the shorter window: here the queue's retention of 1 h (the stream keeps the records 23 h)."
  }
}

run "rejects_mapping_alarms_without_event_counts" {
  command = plan

  module {
    source = "./modules/alarms"
  }

  variables {
    event_source_mapping_metrics = []
  }

  expect_failures = [aws_cloudwatch_metric_alarm.this]
}

run "rejects_emails_without_a_topic" {
  command = plan

  module {
    source = "./modules/alarms"
  }

  variables {
    topic_enabled   = false
    email_addresses = ["oncall@example.com"]
  }

  expect_failures = [aws_cloudwatch_metric_alarm.this]
}

run "rejects_bad_values" {
  command = plan

  module {
    source = "./modules/alarms"
  }

  variables {
    name_prefix                   = "k2s3 test"
    alarm_actions                 = ["my-topic"]
    email_addresses               = ["oncall"]
    iterator_age_threshold_ms     = 999
    records_quarantined_threshold = -1
    period_seconds                = 90
    evaluation_periods            = 0
  }

  expect_failures = [
    var.name_prefix,
    var.alarm_actions,
    var.email_addresses,
    var.iterator_age_threshold_ms,
    var.records_quarantined_threshold,
    var.period_seconds,
    var.evaluation_periods,
  ]
}

# CloudWatch takes at most 5 actions per alarm state (PutMetricAlarm: AlarmActions, OKActions), and the module adds
# its own topic to alarm_actions: 5 of them plus the topic plan, then every alarm fails to apply. The plan must say so.
run "rejects_more_alarm_actions_than_cloudwatch_takes" {
  command = plan

  module {
    source = "./modules/alarms"
  }

  variables {
    alarm_actions = [
      "arn:aws:sns:eu-west-1:123456789012:pager-1", "arn:aws:sns:eu-west-1:123456789012:pager-2",
      "arn:aws:sns:eu-west-1:123456789012:pager-3", "arn:aws:sns:eu-west-1:123456789012:pager-4",
      "arn:aws:sns:eu-west-1:123456789012:pager-5",
    ]
  }

  expect_failures = [aws_cloudwatch_metric_alarm.this]
}
