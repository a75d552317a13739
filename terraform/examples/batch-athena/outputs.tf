output "stream_name" {
  description = "The stream to put orders into."
  value       = module.kinesis2s3.stream_name
}

output "bucket_name" {
  description = "Where the orders land."
  value       = module.kinesis2s3.bucket_name
}

output "athena" {
  description = "The Glue database and tables, the Athena workgroup, and an IAM policy for those who query."
  value       = module.kinesis2s3.athena
}
