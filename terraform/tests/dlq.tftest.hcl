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
  name            = "k2s3-test-on-failure"
  sender_role_arn = "arn:aws:iam::123456789012:role/k2s3-test-20250102"
}

run "defaults" {
  command = apply

  module {
    source = "./modules/dlq"
  }

  assert {
    condition     = aws_sqs_queue.this.name == "k2s3-test-on-failure" && aws_sqs_queue.this.message_retention_seconds == 1209600 && aws_sqs_queue.this.visibility_timeout_seconds == 300
    error_message = "Failure records must be kept 14 days (the SQS maximum), hidden 300 s while a redrive works on them."
  }
  assert {
    condition     = aws_sqs_queue.this.sqs_managed_sse_enabled == true && aws_sqs_queue.this.kms_master_key_id == null
    error_message = "The queue must be encrypted (SSE-SQS) by default."
  }
  assert {
    condition = jsondecode(aws_sqs_queue_policy.this.policy).Statement == [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenySendersButTheMapping"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:SendMessage"
        Resource  = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/k2s3-test-20250102" } }
      },
    ]
    error_message = "The queue policy must deny access without TLS and sending by anyone but the function's role, and grant nothing. Got ${aws_sqs_queue_policy.this.policy}"
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.this.redrive_allow_policy) == { redrivePermission = "denyAll" }
    error_message = "By default no other queue may dead-letter into this one (denyAll)."
  }
  assert {
    condition = (
      output.arn == "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure" &&
      output.url == "https://sqs.eu-west-1.amazonaws.com/123456789012/k2s3-test-on-failure" &&
      output.kms_key_arn == null && output.message_retention_seconds == 1209600
    )
    error_message = "The outputs must expose the queue; without a customer managed key no key is handed on to senders."
  }
}

run "customer_managed_key_and_allow_all_redrive" {
  command = plan

  module {
    source = "./modules/dlq"
  }

  variables {
    kms_key_arn                       = "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
    kms_data_key_reuse_period_seconds = 600
    redrive_permission                = "allowAll"
  }

  assert {
    condition = (
      aws_sqs_queue.this.kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333" &&
      aws_sqs_queue.this.kms_data_key_reuse_period_seconds == 600 &&
      output.kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
    )
    error_message = "A customer managed key must encrypt the queue and be handed on to senders."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.this.redrive_allow_policy) == { redrivePermission = "allowAll" }
    error_message = "redrive_permission = allowAll must be set on the queue."
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
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.this.redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = ["arn:aws:sqs:eu-west-1:123456789012:other"] }
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
    name                              = "k2s3.fifo"
    message_retention_seconds         = 1209601
    visibility_timeout_seconds        = 43201
    kms_key_arn                       = "alias/aws/sqs"
    kms_data_key_reuse_period_seconds = 59
    redrive_permission                = "someQueues"
    sender_role_arn                   = "arn:aws:iam::123456789012:user/someone"
    redrive_source_queue_arns         = ["arn:aws:sqs:eu-west-1:123456789012:q0", "arn:aws:sqs:eu-west-1:123456789012:q1", "arn:aws:sqs:eu-west-1:123456789012:q2", "arn:aws:sqs:eu-west-1:123456789012:q3", "arn:aws:sqs:eu-west-1:123456789012:q4", "arn:aws:sqs:eu-west-1:123456789012:q5", "arn:aws:sqs:eu-west-1:123456789012:q6", "arn:aws:sqs:eu-west-1:123456789012:q7", "arn:aws:sqs:eu-west-1:123456789012:q8", "arn:aws:sqs:eu-west-1:123456789012:q9", "arn:aws:sqs:eu-west-1:123456789012:q10"]
  }

  expect_failures = [
    var.name,
    var.message_retention_seconds,
    var.visibility_timeout_seconds,
    var.kms_key_arn,
    var.kms_data_key_reuse_period_seconds,
    var.redrive_permission,
    var.sender_role_arn,
    var.redrive_source_queue_arns,
  ]
}
