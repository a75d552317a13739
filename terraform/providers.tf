provider "aws" {
  # null: the region comes from AWS_REGION / AWS_DEFAULT_REGION or the profile.
  region = var.region

  default_tags {
    tags = merge({ Application = "kinesis2s3", Stack = var.name }, var.tags)
  }
}
