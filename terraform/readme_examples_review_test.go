package terraform

import (
	"os"
	"strings"
	"testing"
)

// The root README's Deployment section names the examples a user can start from; it must name each one under
// examples/ (it left out batch-athena).
func TestRootReadmeNamesEveryExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	const lead = "(see [terraform/examples](terraform/README.md#examples): "
	i := strings.Index(text, lead)
	if i < 0 {
		t.Fatalf("README.md no longer lists the examples after %q", lead)
	}
	list, _, _ := strings.Cut(text[i+len(lead):], ")")
	entries, err := os.ReadDir("examples")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.Contains(list, "`"+e.Name()+"`") {
			t.Errorf("README.md's list of examples (%s) leaves out %s", list, e.Name())
		}
	}
}
