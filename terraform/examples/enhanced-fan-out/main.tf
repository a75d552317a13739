# A provisioned stream that several applications read: the function reads it through an enhanced fan-out consumer
# of its own (enhanced_fan_out = true), so it gets 2 MB/s per shard to itself, with records pushed to it, instead of
# sharing each shard's 2 MB/s and 5 GetRecords calls per second with the other consumers (here, another
# application's consumer, registered on the same stream).

provider "aws" {
  region = var.region
}

module "kinesis2s3" {
  source = "../.."

  name              = var.name
  function_zip_path = var.function_zip_path

  stream_mode            = "PROVISIONED"
  shard_count            = var.shard_count
  enhanced_fan_out       = true
  parallelization_factor = 2
  # With 2 batches per shard, an SQS failure record's range would also span the other batch's records, which
  # pipelinectl redrive keeps unless -allow-wider-range; a failed batch in S3 holds its own records only. The data
  # bucket's aws/lambda/ prefix receives them (on_failure_s3_bucket_arn = null).
  on_failure_destination = "s3"
}

# Another application on the same stream, with a consumer of its own.
resource "aws_kinesis_stream_consumer" "analytics" {
  name       = "${var.name}-analytics"
  stream_arn = module.kinesis2s3.stream_arn
}
