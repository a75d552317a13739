# tflint (pinned in tools/tflint/go.mod, run by scripts/tf-check.sh): the Terraform language ruleset, bundled with
# tflint, with its recommended preset. Provider rulesets (AWS) would have to be downloaded, which CI cannot do.
plugin "terraform" {
  enabled = true
  preset  = "recommended"
}
