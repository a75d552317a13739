# The on-failure queue module on its own: retention, encryption, TLS-only policy and the redrive-allow policy.

mock_provider "aws" {
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
      id  = "https://sqs.eu-west-1.amazonaws.com/123456789012/k2s3-test-on-failure"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/k2s3-test-on-failure"
    }
  }
}

variables {
  name = "k2s3-test-on-failure"
}

run "defaults" {
  command = plan

  module {
    source = "./modules/dlq"
  }

  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 1209600
    error_message = "Failure records must be kept 14 days (the SQS maximum)."
  }
  assert {
    condition     = aws_sqs_queue.this.sqs_managed_sse_enabled == true && aws_sqs_queue.this.kms_master_key_id == null
    error_message = "The queue must be encrypted (SSE-SQS) by default."
  }
  assert {
    condition = jsondecode(aws_sqs_queue_policy.this.policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "sqs:*"
      Resource  = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The queue policy must only deny non-TLS access. Got ${aws_sqs_queue_policy.this.policy}"
  }
  assert {
    condition     = length(aws_sqs_queue_redrive_allow_policy.this) == 0
    error_message = "No redrive-allow policy unless asked for."
  }
}

run "customer_managed_key_and_deny_all_redrive" {
  command = plan

  module {
    source = "./modules/dlq"
  }

  variables {
    kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
    redrive_permission = "denyAll"
  }

  assert {
    condition     = aws_sqs_queue.this.kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333" && aws_sqs_queue.this.sqs_managed_sse_enabled != true
    error_message = "A customer managed key must replace SSE-SQS."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.this[0].redrive_allow_policy) == { redrivePermission = "denyAll" }
    error_message = "redrive_permission = denyAll must be set on the queue."
  }
}

run "by_queue_redrive" {
  command = plan

  module {
    source = "./modules/dlq"
  }

  variables {
    redrive_permission        = "byQueue"
    redrive_source_queue_arns = ["arn:aws:sqs:eu-west-1:123456789012:other"]
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.this[0].redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = ["arn:aws:sqs:eu-west-1:123456789012:other"] }
    error_message = "byQueue must list the source queues."
  }
}

run "rejects_by_queue_without_sources" {
  command = plan

  module {
    source = "./modules/dlq"
  }

  variables {
    redrive_permission = "byQueue"
  }

  expect_failures = [aws_sqs_queue_redrive_allow_policy.this]
}

run "rejects_bad_values" {
  command = plan

  module {
    source = "./modules/dlq"
  }

  variables {
    name                      = "k2s3.fifo"
    message_retention_seconds = 1209601
    redrive_permission        = "someQueues"
  }

  expect_failures = [var.name, var.message_retention_seconds, var.redrive_permission]
}
