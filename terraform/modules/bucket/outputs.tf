output "name" {
  description = "Name of the bucket."
  # The configured name (known at plan time when it is given), not the id, which is known only after apply.
  value = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "Customer managed key of the default encryption, or null (SSE-S3 or the AWS managed key). Writers need kms:GenerateDataKey and kms:Decrypt on it."
  value       = local.kms ? var.kms_key_arn : null
}

output "force_destroy" {
  description = "Whether terraform destroy deletes the bucket with its objects (for the modules whose data lives in it)."
  value       = var.force_destroy
}
