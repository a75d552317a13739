package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The modules need Terraform or OpenTofu >= 1.6, but suites with mock_provider run only on Terraform >= 1.7 and
// OpenTofu >= 1.8: the README that tells a user which versions work must say so.
func TestReadmeGivesTheTestSuitesVersions(t *testing.T) {
	suites, err := filepath.Glob("tests/*.tftest.hcl")
	if err != nil || len(suites) == 0 {
		t.Fatalf("no test suites found: %v", err)
	}
	mocks := false
	for _, f := range suites {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mocks = mocks || strings.Contains(string(src), "mock_provider")
	}
	if !mocks {
		t.Skip("no suite uses mock_provider")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"Terraform ≥ 1.7", "OpenTofu ≥ 1.8"} {
		if !strings.Contains(string(readme), v) {
			t.Errorf("README.md does not say the test suites need %s (they use mock providers)", v)
		}
	}
}
