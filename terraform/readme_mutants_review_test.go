package terraform

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// terraform/README.md gives the number of mutations make tf-mutants applies; scripts/tf-mutants.sh defines them, one
// `mutant NAME ...` line each. The README said 25 after mutants were added.
func TestReadmeCountsTheMutants(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("../scripts/tf-mutants.sh")
	if err != nil {
		t.Fatal(err)
	}
	n := len(regexp.MustCompile(`(?m)^mutant [a-z0-9-]+ `).FindAll(script, -1))
	m := regexp.MustCompile(`its\s+(\d+)\s+mutations`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("terraform/README.md no longer says how many mutations make tf-mutants applies")
	}
	if got, _ := strconv.Atoi(string(m[1])); got != n {
		t.Errorf("terraform/README.md says make tf-mutants applies %d mutations; scripts/tf-mutants.sh defines %d", got, n)
	}
}
