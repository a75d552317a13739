# Review 18: the redrive-operator module's policy name against what IAM (and the real provider) takes.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
}

variables {
  stream_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/k2s3-test"
  bucket_arn = "arn:aws:s3:::k2s3-test-bucket"
}

# aws_iam_policy's name_prefix takes at most 102 characters (128, the name's limit, less the 26 of the generated
# suffix: the provider's policyNamePrefixMaxLen). The redrive-operator module accepts a name of up to 100 characters
# and prefixes the policy with "<name>-redrive-", up to 109: with a name over 93 characters the plan fails in the
# real provider (the stub validates nothing), on an attribute the caller never set.
run "redrive_policy_name_prefix_fits_iam" {
  command = plan

  module {
    source = "./modules/redrive-operator"
  }

  variables {
    name                 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" # 100 characters, which var.name accepts
    modes                = ["dry-run"]
    queue_arn            = "arn:aws:sqs:eu-west-1:123456789012:k2s3-test-on-failure"
    function_arn         = "arn:aws:lambda:eu-west-1:123456789012:function:k2s3-test"
    key_prefix           = "kinesis/"
    error_prefix         = "errors/"
    progress_markers_arn = "arn:aws:s3:::k2s3-test-bucket/errors/_progress/*"
  }

  assert {
    condition     = length(aws_iam_policy.this[0].name_prefix) <= 102
    error_message = "The policy's name_prefix is longer than the 102 characters aws_iam_policy takes (${length(aws_iam_policy.this[0].name_prefix)}): shorten it, or refuse such names in var.name's validation."
  }
}
