output "stream_name" {
  description = "The stream producers write to."
  value       = module.kinesis2s3.stream_name
}

output "bucket_name" {
  description = "The bucket the records land in."
  value       = module.kinesis2s3.bucket_name
}

output "dlq_url" {
  description = "The on-failure queue pipelinectl redrive reads."
  value       = module.kinesis2s3.dlq_url
}

output "alarm_topic_arn" {
  description = "The topic the alarms notify: subscribe your paging tool to it."
  value       = module.kinesis2s3.alarm_topic_arn
}
