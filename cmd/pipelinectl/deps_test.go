package main

import (
	"go/build"
	"io/fs"
	"os"
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

// The README's layout names every package of the module (or a directory that holds it), so that a newcomer's map
// of the tree cannot fall behind it.
func TestReadmeLayoutNamesEveryPackage(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(readme), "product — what ships")
	if layout, _, ok = strings.Cut(layout, "```"); !ok {
		t.Fatal("README.md: no layout block (the one that starts with \"product — what ships\")")
	}
	var named []string
	for _, line := range strings.Split(layout, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "/") {
			named = append(named, f[0])
		}
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		switch d.Name() {
		case "testdata", "node_modules", ".git", ".bin", "build", "tools":
			return filepath.SkipDir
		}
		if bp, err := build.ImportDir(path, 0); err != nil || bp.Name == "" || path == root {
			return nil // no Go package here (test-only directories included)
		}
		if !slices.ContainsFunc(named, func(n string) bool {
			return rel == strings.TrimSuffix(n, "/") || (strings.HasSuffix(n, "/") && strings.HasPrefix(rel, n))
		}) {
			t.Errorf("package %s is not in README.md's layout", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
