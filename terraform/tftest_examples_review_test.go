package terraform

import (
	"os"
	"strings"
	"testing"
)

// terraform/README.md: each example "is planned by the tests (tests/root.tftest.hcl with the mock provider, ...)".
// root.tftest.hcl runs examples/minimal, customer-managed-keys and enhanced-fan-out as modules, not batch-athena.
func TestRootSuitePlansEveryExample(t *testing.T) {
	suite, err := os.ReadFile("tests/root.tftest.hcl")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("examples")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.Contains(string(suite), `source = "./examples/`+e.Name()+`"`) {
			t.Errorf("tests/root.tftest.hcl does not plan examples/%s, which terraform/README.md says it does", e.Name())
		}
	}
}
