# The redrive-operator module on its own: exactly the actions `pipelinectl redrive` calls in the configured modes
# (see the module's main.tf for which call needs which action), on this stack's resources only.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
}

variables {
  name         = "k2s3-test"
  queue_arn    = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
  stream_arn   = "arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"
  function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test"
  bucket_arn   = "arn:aws:s3:::k2s3-test-bucket"
  key_prefix   = "kinesis/"
  error_prefix = "errors/"

  progress_markers_arn = "arn:aws:s3:::k2s3-test-bucket/errors/_progress/*"
}

run "no_modes_no_policy" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  assert {
    condition     = length(aws_iam_policy.this) == 0 && output.policy_arn == null
    error_message = "Without modes there is no policy."
  }
}

run "dry_run_from_sqs_reads_only" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  variables {
    modes = ["dry-run"]
  }

  assert {
    condition = jsondecode(aws_iam_policy.this[0].policy).Statement == [
      {
        Sid      = "ReadFailureRecords"
        Effect   = "Allow"
        Action   = ["sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
        Resource = ["arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"]
      },
      {
        Sid      = "ReadStream"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator"]
        Resource = ["arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"]
      },
    ]
    error_message = "A dry run receives, holds and releases the failure records and reads their ranges; it deletes nothing and reprocesses nothing. Got ${aws_iam_policy.this[0].policy}"
  }
  assert {
    condition     = aws_iam_policy.this[0].name_prefix == "k2s3-test-redrive-"
    error_message = "The policy must be named after the stack (with a generated suffix: IAM names are account-wide)."
  }
}

run "invoke_and_direct_from_sqs_with_keys" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  variables {
    modes              = ["invoke", "direct"]
    queue_kms_key_arn  = "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
    stream_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    bucket_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  }

  assert {
    condition = { for s in jsondecode(aws_iam_policy.this[0].policy).Statement : s.Sid => [s.Action, s.Resource, try(s.Condition, null)] } == {
      ReadFailureRecords        = [["sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], ["arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"], null]
      ReadStream                = [["kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator"], ["arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"], null]
      DeleteRedrivenRecords     = [["sqs:DeleteMessage"], ["arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"], null]
      ReadFunctionConfiguration = [["lambda:GetFunctionConfiguration"], ["arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test", "arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test:*"], null]
      InvokeFunction            = [["lambda:InvokeFunction"], ["arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test", "arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test:*"], null]
      WriteObjects              = [["s3:PutObject"], ["arn:aws:s3:::k2s3-test-bucket/kinesis/*", "arn:aws:s3:::k2s3-test-bucket/errors/*"], null]
      EncryptObjects            = [["kms:GenerateDataKey"], ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"], { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } }]
      ReadProgressMarkers       = [["s3:GetObject"], ["arn:aws:s3:::k2s3-test-bucket/errors/_progress/*"], null]
      DecryptObjects            = [["kms:Decrypt"], ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"], { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } }]
      DecryptSqs                = [["kms:Decrypt"], ["arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"], { StringEquals = { "kms:ViaService" = "sqs.eu-west-1.amazonaws.com" } }]
      DecryptKinesis            = [["kms:Decrypt"], ["arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"], { StringEquals = { "kms:ViaService" = "kinesis.eu-west-1.amazonaws.com" } }]
    }
    error_message = "Invoke and direct modes delete what they redrove, read the function's configuration, invoke it or write under its two prefixes; direct mode reads the function's progress markers (only those) to resume a large KPL aggregate as the function would; each customer managed key is used only through its service. Got ${aws_iam_policy.this[0].policy}"
  }
}

run "invoke_from_s3" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  variables {
    modes                      = ["invoke"]
    queue_arn                  = null
    failed_batches_bucket_arn  = "arn:aws:s3:::k2s3-test-bucket"
    failed_batches_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  }

  assert {
    condition = { for s in jsondecode(aws_iam_policy.this[0].policy).Statement : s.Sid => [s.Action, s.Resource, try(s.Condition, null)] } == {
      ListFailedBatches         = [["s3:ListBucket"], ["arn:aws:s3:::k2s3-test-bucket"], { StringLike = { "s3:prefix" = ["aws/lambda/*"] } }]
      ReadFailedBatches         = [["s3:GetObject", "s3:GetObjectTagging"], ["arn:aws:s3:::k2s3-test-bucket/aws/lambda/*"], null]
      RetireRedrivenBatches     = [["s3:DeleteObject", "s3:PutObjectTagging"], ["arn:aws:s3:::k2s3-test-bucket/aws/lambda/*"], null]
      ReadFunctionConfiguration = [["lambda:GetFunctionConfiguration"], ["arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test", "arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test:*"], null]
      InvokeFunction            = [["lambda:InvokeFunction"], ["arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test", "arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test:*"], null]
      DecryptS3                 = [["kms:Decrypt"], ["arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"], { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } }]
    }
    error_message = "Redriving from S3 lists and reads the failed batches (and their tags) under aws/lambda/ only, and deletes or tags them once redriven; it needs neither the queue nor the stream. Got ${aws_iam_policy.this[0].policy}"
  }
}

run "dry_run_from_s3_reads_only" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  variables {
    modes                     = ["dry-run"]
    queue_arn                 = null
    failed_batches_bucket_arn = "arn:aws:s3:::k2s3-test-bucket"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_policy.this[0].policy).Statement : s.Sid] == ["ListFailedBatches", "ReadFailedBatches"]
    error_message = "A dry run from S3 lists and reads the failed batches, nothing else. Got ${aws_iam_policy.this[0].policy}"
  }
}

run "rejects_two_sources" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  variables {
    modes                     = ["dry-run"]
    failed_batches_bucket_arn = "arn:aws:s3:::k2s3-test-bucket"
  }

  expect_failures = [aws_iam_policy.this]
}

run "rejects_bad_values" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  variables {
    name  = "k2s3 test"
    modes = ["delete"]
  }

  expect_failures = [var.name, var.modes]
}
