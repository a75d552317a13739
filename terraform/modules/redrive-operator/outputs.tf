output "policy_arn" {
  description = "ARN of the redrive operator policy (attach it to the operators' role or group), or null without modes."
  value       = one(aws_iam_policy.this[*].arn)
}

output "policy_json" {
  description = "The policy document, as deployed (JSON), or null without modes."
  value       = one(aws_iam_policy.this[*].policy)
}
