output "database_name" {
  description = "Name of the Glue database."
  value       = aws_glue_catalog_database.this.name
}

output "records_table_name" {
  description = "Name of the records table (the data under key_prefix)."
  value       = aws_glue_catalog_table.records.name
}

output "quarantine_table_name" {
  description = "Name of the quarantine table (the records under error_prefix, with their reasons)."
  value       = aws_glue_catalog_table.quarantine.name
}

output "columns" {
  description = "The records table's columns ({name, type}), as derived from the schema."
  value       = local.columns
}

output "partition_columns" {
  description = "The records table's partition columns ({name, type}): the partition keys, then year, month, day and hour."
  value       = concat([for name in local.partition_names : { name = name, type = "string" }], local.time_partitions)
}

output "location_template" {
  description = "The S3 location of a partition, as partition projection computes it."
  value       = local.location_template
}

output "workgroup_name" {
  description = "Name of the Athena workgroup (engine version 3, enforced settings, encrypted results)."
  value       = aws_athena_workgroup.this.name
}

output "workgroup_arn" {
  description = "ARN of the Athena workgroup."
  value       = aws_athena_workgroup.this.arn
}

output "results_location" {
  description = "Where the workgroup writes query results."
  value       = "s3://${var.bucket_name}/${var.results_prefix}"
}

output "results_prefix" {
  description = "The key prefix of the query results in the bucket (for the bucket module's results expiration rule)."
  value       = var.results_prefix
}

output "results_kept_clear_of" {
  description = "The prefixes of the bucket that results_prefix is checked to stay clear of, by what they hold (key_prefix, error_prefix and reserved_prefixes)."
  value       = local.results_kept_clear_of
}

output "named_query_ids" {
  description = "IDs of the named queries (records-per-hour, quarantined-by-reason, latest-records)."
  value       = { for k, q in aws_athena_named_query.this : k => q.id }
}

output "query_policy_json" {
  description = "A least-privilege IAM policy for the people and tools that query the tables: run queries in the workgroup only, read the tables and their objects, write results under results_prefix only."
  value       = jsonencode(local.query_policy)
}
