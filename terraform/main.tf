# kinesis2s3: a Kinesis data stream, a Lambda function (Go, arm64) that writes its records to S3, the SQS queue that
# receives failed batches, and alarms. Every piece is a module under modules/; this file only wires them. Each
# pass-through input (var.x) is defaulted and validated by the module it goes to.

module "stream" {
  source = "./modules/stream"

  name                   = var.name
  stream_mode            = var.stream_mode
  shard_count            = var.shard_count
  retention_period_hours = var.stream_retention_hours
  kms_key_arn            = var.stream_kms_key_arn
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
  data_expiration_days                   = var.data_expiration_days
  error_expiration_days                  = var.error_expiration_days
  abort_incomplete_multipart_upload_days = var.abort_incomplete_multipart_upload_days
}

module "dlq" {
  source = "./modules/dlq"

  name               = "${var.name}-on-failure"
  kms_key_arn        = var.dlq_kms_key_arn
  redrive_permission = var.dlq_redrive_permission
}

module "function" {
  source = "./modules/function"

  name                           = var.name
  zip_path                       = var.function_zip_path
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  log_retention_days             = var.log_retention_days
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

  stream_arn         = module.stream.arn
  stream_kms_key_arn = module.stream.kms_key_arn
  dlq_arn            = module.dlq.arn
  dlq_kms_key_arn    = module.dlq.kms_key_arn

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
}

module "alarms" {
  source = "./modules/alarms"
  count  = var.alarms_enabled ? 1 : 0

  name_prefix               = var.name
  function_name             = module.function.function_name
  dlq_name                  = module.dlq.name
  alarm_actions             = var.alarm_actions
  iterator_age_threshold_ms = var.iterator_age_threshold_ms
}
