package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// README.md, The two commands: "the first run on a machine also runs npm ci (~15 s) and builds OpenTofu and the RIE
// from the Go module proxy". make run depends on `tools`, which also builds tflint (its own module, tools/tflint),
// which nothing behind make run uses (nor OpenTofu: this program reads tfvars in Go). On a fresh machine the first
// make run builds it anyway, an unannounced wait and one more way for the quick start to fail.
func TestMakeRunBuildsOnlyWhatTheReadmeSays(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make -n")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	// make chaos runs the same pipeline (kinesis2s3-chaos needs the RIE, not tofu or tflint either).
	for _, target := range []string{"run", "chaos"} {
		// A fresh machine: no .bin (BIN is overridden with an empty directory); the emulators are taken as installed.
		cmd := exec.Command("make", "-n", target, "BIN="+t.TempDir(),
			"-o", filepath.Join(root, "tools/emulators/node_modules/.installed"))
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "tools/tflint") {
				t.Errorf("the first make %s builds tflint, which the README does not announce and it never uses: %q", target, line)
			}
		}
	}
}
