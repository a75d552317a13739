# The bucket module on its own: never public, owner-enforced, encrypted, TLS-only, with its lifecycle rules, and the
# validation of its inputs. Runs that read computed values (the bucket's ARN in its policy) apply against the mock
# provider: Terraform, unlike OpenTofu, keeps mocked computed values unknown in plan mode.

mock_provider "aws" {
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::k2s3-test-bucket", id = "k2s3-test-bucket" }
  }
}

variables {
  name         = "k2s3-test-bucket"
  data_prefix  = "kinesis/"
  error_prefix = "errors/"
}

run "defaults" {
  command = apply

  module {
    source = "./modules/bucket"
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.bucket == aws_s3_bucket.this.id &&
      aws_s3_bucket_public_access_block.this.block_public_acls &&
      aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls &&
      aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "All four public access blocks must be on."
  }
  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "Object ownership must be BucketOwnerEnforced (ACLs disabled)."
  }
  assert {
    condition     = [for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : [r.apply_server_side_encryption_by_default[0].sse_algorithm, r.bucket_key_enabled]] == [["AES256", false]]
    error_message = "Default encryption must be SSE-S3 unless SSE-KMS is asked for."
  }
  assert {
    condition     = aws_s3_bucket.this.bucket == "k2s3-test-bucket" && aws_s3_bucket.this.force_destroy == false && length(aws_s3_bucket_versioning.this) == 0
    error_message = "The bucket must have the given name; force_destroy must be opt-in; versioning is off by default."
  }
  assert {
    condition = jsondecode(aws_s3_bucket_policy.this.policy) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = ["arn:aws:s3:::k2s3-test-bucket", "arn:aws:s3:::k2s3-test-bucket/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
        {
          Sid       = "DenyOutdatedTLS"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = ["arn:aws:s3:::k2s3-test-bucket", "arn:aws:s3:::k2s3-test-bucket/*"]
          Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
        },
      ]
    }
    error_message = "The bucket policy must deny, on the bucket and its objects, every request without TLS and with TLS older than 1.2, and grant nothing. Got ${aws_s3_bucket_policy.this.policy}"
  }
  assert {
    condition = { for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.id => r.status } == {
      "abort-incomplete-multipart-uploads" = "Enabled"
      "transition-data"                    = "Enabled"
      "expire-errors"                      = "Enabled"
    }
    error_message = "Default lifecycle: abort multipart uploads, transition data, expire errors (and nothing else)."
  }
  assert {
    condition = one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "transition-data"]).filter[0].prefix == "kinesis/" && [
      for t in one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "transition-data"]).transition : [t.days, t.storage_class]
    ] == [[30, "STANDARD_IA"]]
    error_message = "Data under kinesis/ must move to STANDARD_IA after 30 days."
  }
  assert {
    condition = (
      one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "expire-errors"]).filter[0].prefix == "errors/" &&
      one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "expire-errors"]).expiration[0].days == 90 &&
      one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "abort-incomplete-multipart-uploads"]).abort_incomplete_multipart_upload[0].days_after_initiation == 7
    )
    error_message = "Quarantined records under errors/ must expire after 90 days; incomplete multipart uploads abort after 7."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.transition_default_minimum_object_size == "all_storage_classes_128K"
    error_message = "Objects under 128 KiB must never be transitioned (the transition would cost more than it saves)."
  }
  assert {
    condition     = output.name == "k2s3-test-bucket" && output.arn == "arn:aws:s3:::k2s3-test-bucket" && output.kms_key_arn == null
    error_message = "The outputs must name the bucket; without a customer managed key no key is handed on to writers."
  }
}

run "generated_name" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    name        = null
    name_prefix = "clickstream-"
  }

  assert {
    condition     = aws_s3_bucket.this.bucket_prefix == "clickstream-"
    error_message = "Without a name, AWS must generate one from name_prefix."
  }
}

run "sse_kms_versioning_and_force_destroy" {
  command = apply

  module {
    source = "./modules/bucket"
  }

  variables {
    sse_algorithm         = "aws:kms"
    kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    versioning            = true
    force_destroy         = true
    data_prefix           = "data/"
    transition_days       = 0
    data_expiration_days  = 365
    error_expiration_days = 0
  }

  assert {
    condition = [for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : [
      r.apply_server_side_encryption_by_default[0].sse_algorithm,
      r.apply_server_side_encryption_by_default[0].kms_master_key_id,
      r.bucket_key_enabled,
    ]] == [["aws:kms", "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222", true]]
    error_message = "SSE-KMS must use the given key with the bucket key enabled."
  }
  assert {
    condition     = output.kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    error_message = "The module must hand the key on to writers that need KMS permissions."
  }
  assert {
    condition     = length(aws_s3_bucket_versioning.this) == 1 && aws_s3_bucket_versioning.this[0].versioning_configuration[0].status == "Enabled"
    error_message = "versioning = true must enable versioning."
  }
  assert {
    condition = (
      [for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.id] == ["abort-incomplete-multipart-uploads", "expire-data", "expire-noncurrent-versions"] &&
      one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "expire-data"]).filter[0].prefix == "data/" &&
      one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "expire-data"]).expiration[0].days == 365 &&
      one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "expire-noncurrent-versions"]).noncurrent_version_expiration[0].noncurrent_days == 30
    )
    error_message = "Lifecycle rules must follow the variables (0 turns the transition and the error expiry off; data expiry on data/; noncurrent expiry)."
  }
  assert {
    condition     = aws_s3_bucket.this.force_destroy == true
    error_message = "force_destroy = true must be passed through."
  }
}

run "accepts_early_transition_to_intelligent_tiering" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    transition_days          = 1
    transition_storage_class = "INTELLIGENT_TIERING"
  }

  assert {
    condition = [
      for t in one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "transition-data"]).transition : [t.days, t.storage_class]
    ] == [[1, "INTELLIGENT_TIERING"]]
    error_message = "INTELLIGENT_TIERING has no 30-day minimum."
  }
}

# Athena writes a result (and its metadata) per query under the workgroup's results prefix; nothing else deletes them.
run "expires_athena_results" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    results_prefix = "athena-results/"
  }

  assert {
    condition = [
      for r in aws_s3_bucket_lifecycle_configuration.this.rule : [r.filter[0].prefix, r.expiration[0].days] if r.id == "expire-athena-results"
    ] == [["athena-results/", 30]]
    error_message = "Query results under results_prefix must expire after 30 days by default, in the bucket's one lifecycle configuration."
  }
  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.id][length(aws_s3_bucket_lifecycle_configuration.this.rule) - 1] == "expire-athena-results"
    error_message = "The results rule comes last, after the rules whose positions test/terraform_plan_test.go reads."
  }
}

run "keeps_athena_results_when_asked" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    results_prefix          = "athena-results/"
    results_expiration_days = 0
  }

  assert {
    condition     = !contains([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.id], "expire-athena-results")
    error_message = "results_expiration_days = 0 must keep the query results."
  }
}

# GLACIER objects are skipped by Athena (a query returns no rows for them, without an error) and DEEP_ARCHIVE ones
# fail the query, until restored: with tables over the data, moving it there is refused unless opted into.
run "refuses_archive_tiers_under_athena_tables" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    queried_by_athena        = true
    transition_days          = 90
    transition_storage_class = "GLACIER"
  }

  expect_failures = [aws_s3_bucket_lifecycle_configuration.this]
}

run "refuses_deep_archive_under_athena_tables" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    queried_by_athena        = true
    transition_days          = 180
    transition_storage_class = "DEEP_ARCHIVE"
  }

  expect_failures = [aws_s3_bucket_lifecycle_configuration.this]
}

run "archive_tiers_when_opted_into" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    queried_by_athena        = true
    allow_archive_transition = true
    transition_days          = 90
    transition_storage_class = "GLACIER"
  }

  assert {
    condition = [
      for t in one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "transition-data"]).transition : [t.days, t.storage_class]
    ] == [[90, "GLACIER"]]
    error_message = "allow_archive_transition = true must let data move to GLACIER."
  }
}

run "archive_tiers_without_athena_tables" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    transition_days          = 180
    transition_storage_class = "DEEP_ARCHIVE"
  }

  assert {
    condition = [
      for t in one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "transition-data"]).transition : [t.days, t.storage_class]
    ] == [[180, "DEEP_ARCHIVE"]]
    error_message = "Without tables over the data (queried_by_athena = false), DEEP_ARCHIVE needs no opt-in."
  }
}

# GLACIER_IR is instant retrieval, not an archive: Athena reads it.
run "glacier_instant_retrieval_under_athena_tables" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    queried_by_athena        = true
    transition_days          = 90
    transition_storage_class = "GLACIER_IR"
  }

  assert {
    condition = [
      for t in one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "transition-data"]).transition : [t.days, t.storage_class]
    ] == [[90, "GLACIER_IR"]]
    error_message = "GLACIER_IR is read by Athena: it needs no opt-in."
  }
}

run "rejects_kms_key_without_sse_kms" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  }

  expect_failures = [aws_s3_bucket_server_side_encryption_configuration.this]
}

run "rejects_early_transition_to_infrequent_access" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    transition_days = 29
  }

  expect_failures = [aws_s3_bucket_lifecycle_configuration.this]
}

run "rejects_expiry_before_transition" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    transition_days      = 30
    data_expiration_days = 30
  }

  expect_failures = [aws_s3_bucket_lifecycle_configuration.this]
}

# Each variable listed in expect_failures must fail on its own ("Missing expected failure" otherwise).
run "rejects_bad_names_classes_and_prefixes" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    name                     = "Not_A_Bucket"
    name_prefix              = "UPPER-"
    sse_algorithm            = "aws:kms:dsse"
    kms_key_arn              = "alias/aws/s3"
    transition_storage_class = "COLD"
    data_prefix              = ""
    error_prefix             = ""
    results_prefix           = ""
  }

  expect_failures = [var.name, var.name_prefix, var.sse_algorithm, var.kms_key_arn, var.transition_storage_class, var.data_prefix, var.error_prefix, var.results_prefix]
}

run "rejects_bad_day_counts" {
  command = plan

  module {
    source = "./modules/bucket"
  }

  variables {
    transition_days                        = -1
    data_expiration_days                   = 1.5
    error_expiration_days                  = -1
    abort_incomplete_multipart_upload_days = 0
    noncurrent_version_expiration_days     = 0
    results_expiration_days                = -1
  }

  expect_failures = [var.transition_days, var.data_expiration_days, var.error_expiration_days, var.abort_incomplete_multipart_upload_days, var.noncurrent_version_expiration_days, var.results_expiration_days]
}
