# The IAM policy for those who query (output query_policy_json): the workgroup, the two tables, the objects under
# their prefixes, and the results prefix — nothing else in the account or the bucket.

# ARNs are built rather than read from the resources, so that the policy is known at plan time.
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  arn_base    = "arn:${data.aws_partition.current.partition}:%s:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}"
  catalog_arn = "${format(local.arn_base, "glue")}:catalog"
  glue_arns = [
    local.catalog_arn,
    "${format(local.arn_base, "glue")}:database/${local.database}",
    "${format(local.arn_base, "glue")}:table/${local.database}/${aws_glue_catalog_table.records.name}",
    "${format(local.arn_base, "glue")}:table/${local.database}/${aws_glue_catalog_table.quarantine.name}",
  ]
  workgroup_arn = "${format(local.arn_base, "athena")}:workgroup/${var.name}"

  query_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid    = "RunQueries"
        Effect = "Allow"
        Action = [
          "athena:BatchGetNamedQuery", "athena:GetNamedQuery", "athena:GetQueryExecution", "athena:GetQueryResults",
          "athena:GetWorkGroup", "athena:ListNamedQueries", "athena:ListQueryExecutions", "athena:StartQueryExecution",
          "athena:StopQueryExecution",
        ]
        Resource = [local.workgroup_arn]
      },
      {
        Sid      = "ReadTables"
        Effect   = "Allow"
        Action   = ["glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"]
        Resource = local.glue_arns
      },
      {
        Sid      = "ListTheirPrefixes"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [var.bucket_arn]
        Condition = {
          StringLike = { "s3:prefix" = ["${var.key_prefix}*", "${var.error_prefix}*", "${var.results_prefix}*"] }
        }
      },
      {
        Sid      = "LocateBucket"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation"]
        Resource = [var.bucket_arn]
      },
      {
        Sid      = "ReadObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${var.bucket_arn}/${var.key_prefix}*", "${var.bucket_arn}/${var.error_prefix}*", "${var.bucket_arn}/${var.results_prefix}*"]
      },
      {
        Sid      = "WriteResults"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:PutObject"]
        Resource = ["${var.bucket_arn}/${var.results_prefix}*"]
      },
      ], var.kms_key_arn == null ? [] : [{
        Sid       = "UseBucketKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = [var.kms_key_arn]
        Condition = { StringLike = { "kms:ViaService" = "s3.*.${data.aws_partition.current.dns_suffix}" } }
    }])
  }
}
