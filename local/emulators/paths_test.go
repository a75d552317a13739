package emulators

import (
	"os"
	"path/filepath"
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
