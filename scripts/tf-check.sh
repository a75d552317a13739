#!/usr/bin/env bash
# Offline checks of terraform/: formatting, the generated README tables, tflint, then init + validate of the root
# and the test suites in terraform/tests (mock provider), under OpenTofu and, when it is on PATH, Terraform as well:
# the configuration claims both. Usage:
#   TOFU=/path/to/tofu TFLINT=/path/to/tflint scripts/tf-check.sh        (make tf-check sets both)
# TERRAFORM=/path/to/terraform picks the Terraform binary; TERRAFORM= (empty) skips it.
#
# Everything but fmt runs in a temporary copy, so no .terraform/, lock file or state is ever written into the
# repository, and a .terraform.lock.hcl a user committed is neither used nor changed. terraform.tfvars files are left
# out of the copy: the tests must not depend on anyone's local settings.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
src="$repo/terraform"
TOFU="${TOFU:-$repo/.bin/tofu}"
TFLINT="${TFLINT:-$repo/.bin/tflint}"
GO="${GO:-go}"
TERRAFORM="${TERRAFORM-$(command -v terraform || true)}"

for tool in "$TOFU" "$TFLINT"; do
  if [[ ! -x "$tool" ]]; then
    echo "tf-check: $tool is not an executable: run make tools (or set TOFU= / TFLINT=)" >&2
    exit 1
  fi
done

color=()
[[ -t 1 ]] || color=(-no-color)
export TF_IN_AUTOMATION=1 TF_INPUT=0
# Share downloaded providers between the inits below and between runs (the real AWS provider is large).
export TF_PLUGIN_CACHE_DIR="${TF_PLUGIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kinesis2s3/tofu-plugins}"
mkdir -p "$TF_PLUGIN_CACHE_DIR"

step() { printf '\n== tf-check: %s\n' "$*"; }

step "fmt -check -recursive terraform"
"$TOFU" fmt -check -recursive -diff "${color[@]}" "$src"
# fmt skips the example (not a .tfvars name); check it through stdin.
"$TOFU" fmt -check - <"$src/terraform.tfvars.example" >/dev/null || {
  echo "tf-check: terraform/terraform.tfvars.example is not formatted (tofu fmt)" >&2
  exit 1
}

step "README.md inputs/outputs tables of every module are up to date (scripts/tfdocs)"
(cd "$repo" && "$GO" run ./scripts/tfdocs -check terraform)

step "tflint --recursive (Terraform ruleset, recommended preset)"
"$TFLINT" --chdir="$src" --recursive --config="$src/.tflint.hcl" --no-color

binaries=("$TOFU")
if [[ -n "$TERRAFORM" ]]; then
  binaries+=("$TERRAFORM")
else
  echo "tf-check: terraform is not on PATH: checking with OpenTofu only" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tf-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# check BIN: init, validate and test a copy of terraform/ with BIN (and fmt, if BIN is not the OpenTofu that checked it
# above). The binaries run at once, each with its own copy and log.
check() {
  local bin="$1" tool dir
  tool="$(basename "$bin")"
  dir="$work/$tool"
  mkdir -p "$dir"
  tar -C "$src" -cf - \
    --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='terraform.tfstate*' \
    --exclude='*.tfvars' --exclude='*.tfvars.json' --exclude=tfplan . | tar -C "$dir" -xf -

  if [[ "$bin" != "$TOFU" ]]; then
    step "$tool fmt -check -recursive terraform"
    "$bin" fmt -check -recursive -diff "${color[@]}" "$dir"
  fi
  step "$tool init + validate terraform (root)"
  "$bin" -chdir="$dir" init -backend=false "${color[@]}" >"$dir.init.log" 2>&1 || {
    cat "$dir.init.log"
    return 1
  }
  "$bin" -chdir="$dir" validate "${color[@]}"
  step "$tool test (terraform/tests)"
  "$bin" -chdir="$dir" test "${color[@]}"
}

pids=()
for bin in "${binaries[@]}"; do
  check "$bin" >"$work/$(basename "$bin").log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!binaries[@]}"; do
  wait "${pids[$i]}" || failed=1
  cat "$work/$(basename "${binaries[$i]}").log"
done
exit "$failed"
