#!/usr/bin/env bash
# Mutation check of the Terraform tests: each mutant below breaks one promise of terraform/ (an alarm that watches the
# wrong thing, a permission too wide, a loss path left open). For each, a temporary copy of terraform/ gets the
# mutation, and the run of terraform/tests that must catch it is run alone; the script fails unless that run fails,
# on an assertion or an expected failure (a mutant that breaks the configuration itself proves nothing and fails the
# script too). Usage:
#   TOFU=/path/to/tofu scripts/tf-mutants.sh [NAME...]      (make tf-mutants; make test runs it)
# MUTANTS_JOBS (default 2) mutants run at once.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
src="$repo/terraform"
TOFU="${TOFU:-$repo/.bin/tofu}"
jobs="${MUTANTS_JOBS:-2}"

if [[ ! -x "$TOFU" ]]; then
  echo "tf-mutants: $TOFU is not an executable OpenTofu: run make tools (or set TOFU=)" >&2
  exit 1
fi
export TF_IN_AUTOMATION=1 TF_INPUT=0
export TF_PLUGIN_CACHE_DIR="${TF_PLUGIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kinesis2s3/tofu-plugins}"
mkdir -p "$TF_PLUGIN_CACHE_DIR"

names=() files=() runs=() edits=() whys=()
# mutant NAME FILE TEST_FILE:RUN PERL_SUBSTITUTION WHY — FILE is relative to terraform/; the substitution (perl -0,
# so it may span lines) must change it.
mutant() {
  names+=("$1") files+=("$2") runs+=("$3") edits+=("$4") whys+=("$5")
}

# The mutations of issue 11, which the tests of the time let through.
mutant iterator-age-metric-misspelt modules/alarms/main.tf alarms:sqs_destination \
  's/metric      = "IteratorAge"/metric      = "IteratorAges"/' \
  "the iterator-age alarm would watch a metric that does not exist"
mutant iterator-age-threshold-zero modules/alarms/main.tf alarms:sqs_destination \
  's/threshold   = var.iterator_age_threshold_ms/threshold   = 0/' \
  "the iterator-age alarm would fire on every record"
mutant sqs-namespace-misspelt modules/alarms/main.tf alarms:sqs_destination \
  's/namespace   = "AWS\/SQS"/namespace   = "AWS\/SQSS"/' \
  "the DLQ alarm would watch nothing"
mutant deny-outdated-tls-deleted modules/bucket/main.tf bucket:defaults \
  's/\n      \{\n        Sid       = "DenyOutdatedTLS".*?\n      \},//s' \
  "the bucket would accept TLS 1.0 and 1.1"
mutant reserved-concurrency-zero modules/function/main.tf function:defaults \
  's/reserved_concurrent_executions = var.reserved_concurrent_executions/reserved_concurrent_executions = 0/' \
  "the function would never run"
mutant system-log-level-changed modules/function/main.tf function:defaults \
  's/system_log_level      = "WARN"/system_log_level      = "DEBUG"/' \
  "Lambda's platform logs would flood the log group"

# More, one per promise the README makes.
mutant bisect-off modules/function/main.tf function:defaults \
  's/bisect_batch_on_function_error = true/bisect_batch_on_function_error = false/' \
  "a poison record would fail its whole batch until it ages out"
mutant partial-batch-responses-off modules/function/main.tf function:defaults \
  's/function_response_types = \["ReportBatchItemFailures"\]/function_response_types = []/' \
  "a record failure would retry (and rewrite) the whole batch"
mutant stream-read-anywhere modules/function/main.tf function:defaults \
  's/(kinesis:ListShards",\n        \]\n        Resource = )\[var.stream_arn\]/${1}["*"]/' \
  "the role could read every stream in the account"
mutant trust-any-account modules/function/main.tf function:defaults \
  's/\n      Condition = \{ StringEquals = \{ "aws:SourceAccount" = local.account_id \} \}//' \
  "Lambda acting for another account could assume the role (confused deputy)"
mutant progress-read-widened modules/function/main.tf function:defaults \
  's/progress_arn    = "\$\{var.bucket_arn\}\/\$\{local.progress_prefix\}\*"/progress_arn    = "\${var.bucket_arn}\/*"/' \
  "the function could read all of its data, not only its progress markers"
mutant kms-via-any-service modules/function/main.tf function:customer_managed_keys \
  's/Resource  = \[var.stream_kms_key_arn\]\n      Condition = \{ StringEquals = \{ "kms:ViaService" = local.via.kinesis \} \}/Resource  = [var.stream_kms_key_arn]/' \
  "the role could use the stream's key directly, not only through Kinesis"
mutant failed-batches-readable modules/function/main.tf function:s3_on_failure_destination \
  's/Action    = \["s3:PutObject"\]\n        Resource  = \["\$\{var.on_failure_destination_arn\}/Action    = ["s3:PutObject", "s3:GetObject"]\n        Resource  = ["\${var.on_failure_destination_arn}/' \
  "the function could read the failed batches"
mutant record-age-may-outlive-retention modules/function/main.tf function:rejects_a_record_age_that_outlives_the_retention \
  's/var.maximum_record_age_in_seconds \+ var.timeout < var.stream_retention_hours \* 3600/var.maximum_record_age_in_seconds + var.timeout <= var.stream_retention_hours * 3600/' \
  "a record could expire from the stream while still retried: lost without a trace"
mutant infinite-record-age-accepted modules/function/variables.tf function:rejects_values_below_the_ranges_and_unknown_names \
  's/var.maximum_record_age_in_seconds >= 60 &&/var.maximum_record_age_in_seconds >= -1 \&\&/' \
  "records that never age out wait behind throttling until the stream deletes them"
mutant dlq-any-sender modules/dlq/main.tf dlq:defaults \
  's/ArnNotEquals = \{ "aws:PrincipalArn"/ArnEquals = { "aws:PrincipalArn"/' \
  "anyone in the account could put messages on the DLQ that a redrive takes for failed batches"
mutant dlq-retention-4-days modules/dlq/variables.tf dlq:defaults \
  's/default     = 1209600/default     = 345600/' \
  "failure records would vanish before the stream's data does"
mutant public-bucket-policy-allowed modules/bucket/main.tf bucket:defaults \
  's/restrict_public_buckets = true/restrict_public_buckets = false/' \
  "a public bucket policy would take effect"
mutant stream-unencrypted modules/stream/main.tf stream:defaults \
  's/encryption_type     = "KMS"/encryption_type     = "NONE"/' \
  "records would be stored unencrypted"
mutant dropped-events-wrong-dimension modules/alarms/main.tf alarms:sqs_destination \
  's/(metric      = "DroppedEventCount"\n        dimensions  = )local.mapping/$1local.function/' \
  "the dropped-records alarm would watch a series that never exists"
mutant missing-data-breaching modules/alarms/main.tf alarms:sqs_destination \
  's/treat_missing_data  = "notBreaching"/treat_missing_data  = "breaching"/' \
  "an idle pipeline would page the on-call"
mutant alarm-topic-unencrypted modules/alarms/topic.tf alarms:sqs_destination \
  's/\n  kms_master_key_id = aws_kms_key.topic\[0\].arn//' \
  "alarm notifications would be stored unencrypted"
mutant cloudwatch-cannot-use-topic-key modules/alarms/topic.tf alarms:sqs_destination \
  's/(Sid       = "AllowCloudWatchAlarms"\n        Effect    = "Allow"\n        Principal = \{ Service = )"cloudwatch.amazonaws.com"( \}\n        Action    = \["kms:Decrypt")/$1"sns.amazonaws.com"$2/' \
  "CloudWatch could not publish to the encrypted topic: alarms would notify nobody"
mutant dry-run-may-delete modules/redrive-operator/main.tf redrive_operator:dry_run_from_sqs_reads_only \
  's/local.from_sqs && local.retires \? \[\{\n      Sid      = "DeleteRedrivenRecords"/local.from_sqs ? [{\n      Sid      = "DeleteRedrivenRecords"/' \
  "a look at the DLQ could delete failure records"
mutant direct-mode-reads-any-object modules/redrive-operator/main.tf redrive_operator:invoke_and_direct_from_sqs_with_keys \
  's/Resource = \[var.progress_markers_arn\]/Resource = ["\${var.bucket_arn}\/*"]/' \
  "an operator allowed direct mode could read all of the stack's data, not only the function's progress markers"
mutant own-failed-batches-bucket-ignored main.tf root:failed_batches_in_a_bucket_of_their_own \
  's/coalesce\(var.on_failure_s3_bucket_arn, module.bucket.arn\)/module.bucket.arn/' \
  "failed batches would go to the data bucket, not the one given"

# The analytics settings (issue 8).
mutant schema-read-anywhere modules/function/main.tf function:settings_follow_variables \
  's/Resource  = \["\$\{var.bucket_arn\}\/\$\{local.schema_key\}"\]/Resource  = ["\${var.bucket_arn}\/*"]/' \
  "the role could read every object in the bucket, not only its schema"
mutant catalog-without-partition-keys main.tf root:analytics_and_catalog \
  's/partition_columns = module.function.partition_columns/partition_columns = []/' \
  "the table would not see the partition keys the function writes, and its location template would miss their levels"

# Review 12.
mutant named-query-columns-unquoted modules/catalog/main.tf catalog:named_queries_quote_partition_columns \
  's/AND \\"\$\{name\}\\" = \?/AND \$\{name\} = ?/' \
  "a partition key named after a reserved word (group, order) would make the named queries syntax errors"
mutant key-length-unbounded modules/function/main.tf function:rejects_keys_too_long_for_s3 \
  's/local.longest_data_key <= 1024/local.longest_data_key <= 2048/' \
  "a key prefix too long for S3 would deploy, and every PUT would fail"
mutant error-key-length-unbounded modules/function/main.tf function:rejects_an_error_prefix_too_long_for_s3 \
  's/local.longest_error_key <= 1024/local.longest_error_key <= 2048/' \
  "an error prefix too long for S3 would deploy, and every quarantine PUT would fail"
mutant error-key-counts-an-index modules/function/main.tf function:accepts_the_longest_error_prefix \
  's/(longest_error_key      = local.prefix_bytes.error \+ 34 \+ 128 \+ 1 \+ 129) \+ length/$1 + 1 + 10 + length/' \
  "an error prefix whose quarantine keys fit S3 would be refused (quarantine keys carry no user record index)"
mutant embedded-schema-resources-allowed modules/catalog/main.tf catalog:refuses_embedded_schema_resources \
  's/local.embedded_resources <= 0/local.embedded_resources >= 0/' \
  "a schema with embedded resources would get other table columns than the function derives"

selected=("$@")
work="$(mktemp -d "${TMPDIR:-/tmp}/tf-mutants.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# One initialised copy; each mutant gets a copy of it, .terraform included (the providers are links into the cache).
base="$work/base"
mkdir -p "$base"
tar -C "$src" -cf - \
  --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='terraform.tfstate*' \
  --exclude='*.tfvars' --exclude='*.tfvars.json' . | tar -C "$base" -xf -
"$TOFU" -chdir="$base" init -backend=false -no-color >"$work/init.log" 2>&1 || {
  cat "$work/init.log" >&2
  exit 1
}

# only_run FILE RUN: the test file with its run blocks other than RUN left out (tofu fmt puts every top-level block's
# closing brace in column 0).
only_run() {
  awk -v keep="run \"$2\" {" '
    /^run "/ { skipping = ($0 != keep); if (!skipping) found = 1 }
    !skipping { print }
    skipping && /^}/ { skipping = 0 }
    END { if (!found) exit 3 }
  ' "$1"
}

# try I: run mutant I; print one line; exit 0 if it was killed.
try() {
  local i="$1" dir="$work/m$1" log="$work/m$1.log"
  local test="${runs[$i]%%:*}" run="${runs[$i]#*:}"
  cp -a "$base" "$dir"
  local target="$dir/${files[$i]}" before
  before="$(sha256sum <"$target")"
  perl -0pi -e "${edits[$i]}" "$target"
  if [[ "$(sha256sum <"$target")" == "$before" ]]; then
    echo "INVALID  ${names[$i]}: the substitution does not match ${files[$i]} any more"
    return 1
  fi
  rm -f "$dir"/tests/*.tftest.hcl
  if ! only_run "$src/tests/$test.tftest.hcl" "$run" >"$dir/tests/$test.tftest.hcl"; then
    echo "INVALID  ${names[$i]}: no run \"$run\" in tests/$test.tftest.hcl"
    return 1
  fi
  if "$TOFU" -chdir="$dir" test -no-color >"$log" 2>&1; then
    echo "SURVIVED ${names[$i]} (${files[$i]}): $test/$run passes, yet ${whys[$i]}"
    return 1
  fi
  # A kill is a failed assertion, a missing expected failure, or a check that now rejects the run's valid values.
  if grep -qE 'Test assertion failed|Missing expected failure|precondition failed|Invalid value for variable' "$log"; then
    echo "killed   ${names[$i]}: by $test/$run"
    return 0
  fi
  echo "INVALID  ${names[$i]}: $test/$run fails for another reason:"
  sed 's/^/    /' "$log" | head -20
  return 1
}

count=0 failed=0
pids=()
for i in "${!names[@]}"; do
  if ((${#selected[@]} > 0)) && [[ ! " ${selected[*]} " == *" ${names[$i]} "* ]]; then
    continue
  fi
  count=$((count + 1))
  try "$i" >"$work/result.$i" &
  pids+=($!)
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || true; done
for i in "${!names[@]}"; do
  f="$work/result.$i"
  [[ -e "$f" ]] || continue
  cat "$f"
  grep -q '^killed' "$f" || failed=$((failed + 1))
done
if ((count == 0)); then
  echo "tf-mutants: no mutant named ${selected[*]}" >&2
  exit 1
fi
if ((failed > 0)); then
  echo "tf-mutants: $failed of $count mutants were not killed" >&2
  exit 1
fi
echo "tf-mutants: all $count mutants killed"
