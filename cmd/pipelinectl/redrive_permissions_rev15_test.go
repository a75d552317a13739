package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// redrive -h lists the IAM actions each mode needs, for the operator who writes a policy without the
// redrive-operator module. It leaves out two that the tool calls: sqs:GetQueueUrl, without which every -queue-name
// example in the same help fails with AccessDenied before the first receive, and lambda:GetFunctionConfiguration,
// which -config-from-function (the direct-mode example) needs, and invoke mode uses for invokeIdentityArn. Every
// action the module grants (the tool's calls, by its own comment), KMS aside, must be named in the help.
func TestRev15RedriveHelpNamesEveryActionTheOperatorPolicyGrants(t *testing.T) {
	tf, err := os.ReadFile("../../terraform/modules/redrive-operator/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	_, help, _ := runCmd(t, "redrive", "-h")
	help = strings.Join(strings.Fields(help), " ")
	seen := map[string]bool{}
	for _, lists := range regexp.MustCompile(`Action\s*=\s*\[([^\]]*)\]`).FindAllSubmatch(tf, -1) {
		for _, a := range regexp.MustCompile(`"((?:sqs|kinesis|s3|lambda):\w+)"`).FindAllSubmatch(lists[1], -1) {
			action := string(a[1])
			if seen[action] {
				continue
			}
			seen[action] = true
			if !strings.Contains(help, action) {
				t.Errorf("redrive -h does not name %s, which the tool calls (the redrive-operator policy grants it)", action)
			}
		}
	}
	if len(seen) < 10 {
		t.Fatalf("found only %d actions in the redrive-operator module: %v", len(seen), seen)
	}
}
