output "name" {
  description = "Name of the queue."
  value       = aws_sqs_queue.this.name
}

output "arn" {
  description = "ARN of the queue (the event source mapping's on-failure destination)."
  value       = aws_sqs_queue.this.arn
}

output "url" {
  description = "URL of the queue (what redrive tools receive from)."
  value       = aws_sqs_queue.this.url
}

output "kms_key_arn" {
  description = "Customer managed key encrypting the queue, or null (SSE-SQS). Senders need kms:GenerateDataKey and kms:Decrypt on it."
  value       = var.kms_key_arn
}

output "message_retention_seconds" {
  description = "How long a failure record stays on the queue before SQS deletes it unread."
  value       = aws_sqs_queue.this.message_retention_seconds
}
