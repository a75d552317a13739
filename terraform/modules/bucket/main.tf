# The output bucket: owner-enforced (no ACLs), never public, encrypted by default, TLS-only, with lifecycle rules that
# tier the data, expire quarantined records and Athena's query results, and clean up abandoned multipart uploads.

locals {
  kms = var.sse_algorithm == "aws:kms"

  # Deny every request that does not use TLS 1.2 or later. Built with jsonencode (not a data source) so that
  # tests read exactly the document that is deployed.
  policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyOutdatedTLS"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
  }
}

resource "aws_s3_bucket" "this" {
  bucket        = var.name
  bucket_prefix = var.name == null ? var.name_prefix : null
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  lifecycle {
    precondition {
      condition     = local.kms || var.kms_key_arn == null
      error_message = "kms_key_arn is only used with sse_algorithm = \"aws:kms\"."
    }
  }

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.sse_algorithm
      kms_master_key_id = local.kms ? var.kms_key_arn : null
    }
    # The bucket key cuts KMS requests (and their cost) by orders of magnitude for many small objects.
    bucket_key_enabled = local.kms
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count  = var.versioning ? 1 : 0
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # Objects below 128 KiB are never transitioned: per-object transition and minimum-size charges would exceed
  # the saving (record mode writes many small objects).
  transition_default_minimum_object_size = "all_storage_classes_128K"

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  dynamic "rule" {
    for_each = var.transition_days > 0 ? [1] : []
    content {
      id     = "transition-data"
      status = "Enabled"
      filter {
        prefix = var.data_prefix
      }
      transition {
        days          = var.transition_days
        storage_class = var.transition_storage_class
      }
    }
  }

  dynamic "rule" {
    for_each = var.data_expiration_days > 0 ? [1] : []
    content {
      id     = "expire-data"
      status = "Enabled"
      filter {
        prefix = var.data_prefix
      }
      expiration {
        days = var.data_expiration_days
      }
    }
  }

  dynamic "rule" {
    for_each = var.error_expiration_days > 0 ? [1] : []
    content {
      id     = "expire-errors"
      status = "Enabled"
      filter {
        prefix = var.error_prefix
      }
      expiration {
        days = var.error_expiration_days
      }
    }
  }

  dynamic "rule" {
    for_each = var.versioning ? [1] : []
    content {
      id     = "expire-noncurrent-versions"
      status = "Enabled"
      filter {}
      noncurrent_version_expiration {
        noncurrent_days = var.noncurrent_version_expiration_days
      }
    }
  }

  # Last, so that adding it leaves the positions of the rules above unchanged.
  dynamic "rule" {
    for_each = var.results_prefix != null && var.results_expiration_days > 0 ? [1] : []
    content {
      id     = "expire-athena-results"
      status = "Enabled"
      filter {
        prefix = var.results_prefix
      }
      expiration {
        days = var.results_expiration_days
      }
    }
  }

  # Lifecycle rules on a versioned bucket need versioning configured first.
  depends_on = [aws_s3_bucket_versioning.this]

  lifecycle {
    precondition {
      condition     = var.data_expiration_days == 0 || var.transition_days == 0 || var.data_expiration_days > var.transition_days
      error_message = "data_expiration_days must be greater than transition_days."
    }
    precondition {
      condition     = var.transition_days == 0 || !contains(["STANDARD_IA", "ONEZONE_IA"], var.transition_storage_class) || var.transition_days >= 30
      error_message = "S3 moves objects to STANDARD_IA or ONEZONE_IA no earlier than 30 days after creation: set transition_days >= 30."
    }
    # Found months later as queries that return too little, so refused unless asked for. GLACIER_IR and
    # INTELLIGENT_TIERING (whose archive tiers need a configuration this module does not create) stay readable.
    precondition {
      condition     = var.transition_days == 0 || !contains(["GLACIER", "DEEP_ARCHIVE"], var.transition_storage_class) || !var.queried_by_athena || var.allow_archive_transition
      error_message = "transition_storage_class = \"${var.transition_storage_class}\" archives the data under ${var.data_prefix} after ${var.transition_days} days, where the Athena tables read it: Athena skips GLACIER objects (a query returns no rows for them, without an error) and fails on DEEP_ARCHIVE ones until they are restored. Choose GLACIER_IR, STANDARD_IA or INTELLIGENT_TIERING (readable), or set allow_archive_transition = true to accept it."
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode(local.policy)

  # S3 rejects concurrent configuration changes on one bucket; apply the policy after the public access block.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
