package main

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/kinesis2s3/kinesis2s3"

// moduleDeps returns the packages of this module that pkg imports, directly or not, with the chain that reaches
// each. It reads the source files' imports (go/build, no go command), so it runs in -short mode.
func moduleDeps(t *testing.T, pkg string) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string][]string{pkg: {pkg}}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		bp, err := build.ImportDir(filepath.Join(root, strings.TrimPrefix(p, module)), 0)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if _, seen := chains[imp]; seen || !strings.HasPrefix(imp, module+"/") {
				continue
			}
			chains[imp] = append(slices.Clone(chains[p]), imp)
			queue = append(queue, imp)
		}
	}
	return chains
}

// The operator binary an SRE installs carries generate and redrive, not the local stand-in for AWS.
func TestOperatorCLILinksNoSimulator(t *testing.T) {
	deps := moduleDeps(t, module+"/cmd/pipelinectl")
	if _, ok := deps[module+"/function/process"]; !ok {
		t.Fatalf("the import walk found no function/process among %d packages: it is not reading the imports", len(deps))
	}
	for pkg, chain := range deps {
		if strings.HasPrefix(pkg, module+"/local/") || pkg == module+"/internal/ledger" {
			t.Errorf("pipelinectl links %s: %s", pkg, strings.Join(chain, " → "))
		}
	}
}
