#!/usr/bin/env bash
# Offline checks of terraform/: formatting, init + validate of the root stack and of every module, then tofu test
# (mock provider, plan mode). Usage: TOFU=/path/to/tofu scripts/tf-check.sh (make tf-check sets TOFU).
#
# Everything but fmt runs in a temporary copy, so no .terraform/, lock file or state is ever written into the
# repository, and a .terraform.lock.hcl a user committed is neither used nor changed. terraform.tfvars files are left
# out of the copy: the tests must not depend on anyone's local settings.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
src="$repo/terraform"
TOFU="${TOFU:-$repo/.bin/tofu}"

if [[ ! -x "$TOFU" ]]; then
  echo "tf-check: $TOFU is not an executable OpenTofu: run make tools (or set TOFU=)" >&2
  exit 1
fi

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

# Inputs and outputs tables are written by hand; make sure none is missing (a section of a README runs from its
# "## Inputs" or "## Outputs" heading to the next "## " heading).
step "README.md inputs/outputs tables of the root and every module"
section() { awk -v h="## $2" '$0 == h { on = 1; next } /^## / { on = 0 } on' "$1"; }
undocumented=0
for dir in "$src" "$src"/modules/*/; do
  dir="${dir%/}"
  readme="$dir/README.md"
  for kind in variable:Inputs output:Outputs; do
    table="$(section "$readme" "${kind#*:}" 2>/dev/null || true)"
    for name in $(sed -nE "s/^${kind%%:*} \"([^\"]+)\".*/\1/p" "$dir"/*.tf); do
      if ! grep -qF "| \`$name\` |" <<<"$table"; then
        echo "tf-check: ${readme#"$repo"/}: ${kind#*:} table lacks $name" >&2
        undocumented=1
      fi
    done
  done
done
((undocumented == 0))

work="$(mktemp -d "${TMPDIR:-/tmp}/tf-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tar -C "$src" -cf - \
  --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='terraform.tfstate*' \
  --exclude='*.tfvars' --exclude='*.tfvars.json' --exclude=tfplan . | tar -C "$work" -xf -

init_validate() {
  local dir="$1" name="$2"
  step "init + validate $name"
  "$TOFU" -chdir="$dir" init -backend=false "${color[@]}" >"$work/init.log" 2>&1 || {
    cat "$work/init.log" >&2
    exit 1
  }
  "$TOFU" -chdir="$dir" validate "${color[@]}"
}

init_validate "$work" "terraform (root)"
for mod in "$work"/modules/*/; do
  mod="${mod%/}"
  # The root's lock file lets the module inits take the provider from the plugin cache instead of downloading it.
  cp "$work/.terraform.lock.hcl" "$mod/"
  init_validate "$mod" "terraform/modules/$(basename "$mod")"
done

step "tofu test (terraform/tests)"
"$TOFU" -chdir="$work" test "${color[@]}"
