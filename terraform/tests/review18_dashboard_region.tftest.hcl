# Review 18: the stack in two regions of one account.

mock_provider "aws" {
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
}

# CloudWatch dashboards are global to the account, not regional (their ARN has no region:
# arn:aws:cloudwatch::<account>:dashboard/<name>; "All dashboards in your account are global"), and PutDashboard
# replaces a dashboard of the same name. The stack is meant to run in several regions under one name (the function
# module gives its IAM role a generated suffix for that reason), but the dashboard is named <name_prefix> alone: the
# second region's apply silently overwrites the first's dashboard with its own region's widgets, each apply then
# flips it back, and destroying either stack deletes the other's dashboard. (A run cannot read another run's outputs
# in its assertions here, so the eu-west-1 name is the one tests/alarms.tftest.hcl asserts.)
run "the_dashboard_of_another_region_is_another" {
  command = plan

  module {
    source = "./modules/alarms"
  }

  override_data {
    target = data.aws_region.current
    values = { region = "us-east-1" }
  }

  assert {
    condition     = output.dashboard_name != "k2s3-test"
    error_message = "The same stack in eu-west-1 and us-east-1 names one dashboard (${output.dashboard_name}), and dashboards are global to the account: each region's apply overwrites the other's."
  }
}
