# kinesis2s3: a Kinesis data stream, a Lambda function (Go, arm64) that writes its records to S3, an on-failure
# destination for the batches it gives up on (an SQS queue, or S3), alarms and a dashboard, and optionally an IAM
# policy for the operators who redrive failed batches. Every piece is a module under modules/; this file only wires
# them. Each pass-through input (var.x) is defaulted and validated by the module it goes to.
#
# There is no provider block: deployed from this directory, the AWS provider takes its region and credentials from
# the environment (AWS_REGION, AWS_PROFILE, ...); used as a module (see examples/), it takes the caller's.

locals {
  tags = merge({ Application = "kinesis2s3", Stack = var.name }, var.tags)

  to_sqs = var.on_failure_destination == "sqs"
  # With S3, failed batches go to the data bucket unless another bucket is given.
  failed_batches_bucket_arn = local.to_sqs ? null : coalesce(var.on_failure_s3_bucket_arn, module.bucket.arn)
  failed_batches_kms_key    = var.on_failure_s3_bucket_arn == null ? module.bucket.kms_key_arn : var.on_failure_s3_kms_key_arn

  # Tables over batch objects: record mode writes one object per record, which no table would serve well.
  catalog = module.function.output_mode == "batch" && var.catalog_enabled
}

module "stream" {
  source = "./modules/stream"

  name                   = var.name
  stream_mode            = var.stream_mode
  shard_count            = var.shard_count
  retention_period_hours = var.stream_retention_hours
  kms_key_arn            = var.stream_kms_key_arn
  tags                   = local.tags
}

module "bucket" {
  source = "./modules/bucket"

  name                                   = var.bucket_name
  name_prefix                            = "${var.name}-"
  force_destroy                          = var.bucket_force_destroy
  sse_algorithm                          = var.bucket_sse_algorithm
  kms_key_arn                            = var.bucket_kms_key_arn
  versioning                             = var.bucket_versioning
  data_prefix                            = module.function.key_prefix
  error_prefix                           = module.function.error_prefix
  transition_days                        = var.transition_days
  transition_storage_class               = var.transition_storage_class
  queried_by_athena                      = local.catalog
  allow_archive_transition               = var.allow_archive_transition
  data_expiration_days                   = var.data_expiration_days
  error_expiration_days                  = var.error_expiration_days
  abort_incomplete_multipart_upload_days = var.abort_incomplete_multipart_upload_days
  # The workgroup writes its query results here.
  results_prefix          = one(module.catalog[*].results_prefix)
  results_expiration_days = var.athena_results_expiration_days
  tags                    = local.tags
}

module "dlq" {
  source = "./modules/dlq"
  count  = local.to_sqs ? 1 : 0

  name               = "${var.name}-on-failure"
  kms_key_arn        = var.dlq_kms_key_arn
  redrive_permission = var.dlq_redrive_permission
  sender_role_arn    = module.function.role_arn
  tags               = local.tags
}

module "function" {
  source = "./modules/function"

  name                           = var.name
  zip_path                       = var.function_zip_path
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  log_retention_days             = var.log_retention_days
  log_kms_key_arn                = var.log_kms_key_arn
  log_level                      = var.log_level

  bucket_name        = module.bucket.name
  bucket_arn         = module.bucket.arn
  bucket_kms_key_arn = module.bucket.kms_key_arn
  output_mode        = var.output_mode
  key_prefix         = var.key_prefix
  compression        = var.compression
  error_prefix       = var.error_prefix
  on_invalid_record  = var.on_invalid_record
  upload_concurrency = var.upload_concurrency
  schema_file        = var.schema_file
  transform          = var.transform
  time_field         = var.time_field
  partition_keys     = var.partition_keys
  max_partitions     = var.max_partitions
  format             = var.format

  stream_arn             = module.stream.arn
  stream_kms_key_arn     = module.stream.kms_key_arn
  stream_retention_hours = module.stream.retention_period_hours
  enhanced_fan_out       = var.enhanced_fan_out

  on_failure_destination_arn = local.to_sqs ? module.dlq[0].arn : local.failed_batches_bucket_arn
  on_failure_kms_key_arn     = local.to_sqs ? module.dlq[0].kms_key_arn : local.failed_batches_kms_key

  enabled                            = var.esm_enabled
  starting_position                  = var.starting_position
  starting_position_timestamp        = var.starting_position_timestamp
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  parallelization_factor             = var.parallelization_factor
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_in_seconds
  filter_patterns                    = var.filter_patterns
  esm_metrics                        = var.esm_metrics
  tags                               = local.tags
}

module "alarms" {
  source = "./modules/alarms"
  count  = var.alarms_enabled ? 1 : 0

  name_prefix                  = var.name
  function_name                = module.function.function_name
  event_source_mapping_uuid    = module.function.event_source_mapping_uuid
  event_source_mapping_metrics = module.function.event_source_mapping_metrics
  dlq = local.to_sqs ? {
    name                      = module.dlq[0].name
    message_retention_seconds = module.dlq[0].message_retention_seconds
  } : null
  stream_retention_hours        = module.stream.retention_period_hours
  maximum_record_age_in_seconds = module.function.maximum_record_age_in_seconds

  alarm_actions                 = var.alarm_actions
  topic_enabled                 = var.alarm_topic_enabled
  email_addresses               = var.alarm_email_addresses
  iterator_age_threshold_ms     = var.iterator_age_threshold_ms
  records_quarantined_threshold = var.records_quarantined_threshold
  dashboard_enabled             = var.dashboard_enabled
  tags                          = local.tags
}

module "redrive_operator" {
  source = "./modules/redrive-operator"

  name                       = var.name
  modes                      = var.redrive_operator_modes
  queue_arn                  = local.to_sqs ? module.dlq[0].arn : null
  queue_kms_key_arn          = local.to_sqs ? module.dlq[0].kms_key_arn : null
  stream_arn                 = module.stream.arn
  stream_kms_key_arn         = module.stream.kms_key_arn
  failed_batches_bucket_arn  = local.failed_batches_bucket_arn
  failed_batches_kms_key_arn = local.to_sqs ? null : local.failed_batches_kms_key
  function_arn               = module.function.function_arn
  bucket_arn                 = module.bucket.arn
  bucket_kms_key_arn         = module.bucket.kms_key_arn
  schema_object_arn          = module.function.schema_object_arn
  key_prefix                 = module.function.key_prefix
  error_prefix               = module.function.error_prefix
  progress_markers_arn       = module.function.progress_markers_arn
  tags                       = local.tags
}

# The queue became optional (on_failure_destination = "s3").
moved {
  from = module.dlq
  to   = module.dlq[0]
}


# The function module hands on what it was given, with its own defaults, so that the tables describe exactly what it
# writes.
module "catalog" {
  source = "./modules/catalog"
  count  = local.catalog ? 1 : 0

  name              = var.name
  bucket_name       = module.bucket.name
  bucket_arn        = module.bucket.arn
  kms_key_arn       = module.bucket.kms_key_arn
  key_prefix        = module.function.key_prefix
  error_prefix      = module.function.error_prefix
  format            = module.function.format
  schema_file       = module.function.schema_file
  partition_columns = module.function.partition_columns
  # A stack whose bucket may be destroyed with its data may lose its query history too.
  force_destroy = module.bucket.force_destroy

  partition_projection           = var.partition_projection
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff
  tags                           = local.tags

  results_prefix = var.athena_results_prefix
  # The bucket's other prefixes. Failed batches land in it only with on_failure_destination = "s3": their prefix is
  # kept clear of in any case, so that a later switch to S3 cannot mix them with the results (which expire).
  reserved_prefixes = {
    schema_prefix                                = module.function.schema_prefix
    "failed batches (S3 on-failure destination)" = module.function.failed_batch_prefix
  }
}
