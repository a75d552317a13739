# The smallest deployment: the stack with its defaults (on-demand stream, record mode, an SQS on-failure queue,
# alarms notifying an encrypted SNS topic, a dashboard), and an email subscription for the on-call.

provider "aws" {
  region = var.region
}

module "kinesis2s3" {
  source = "../.."

  name                  = var.name
  function_zip_path     = var.function_zip_path
  alarm_email_addresses = var.alarm_email_addresses
}
