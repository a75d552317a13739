output "stream_arn" {
  description = "The stream."
  value       = module.kinesis2s3.stream_arn
}

output "function_consumer_arn" {
  description = "The function's enhanced fan-out consumer."
  value       = module.kinesis2s3.stream_consumer_arn
}

output "analytics_consumer_arn" {
  description = "The other application's consumer."
  value       = aws_kinesis_stream_consumer.analytics.arn
}
