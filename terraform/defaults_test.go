package terraform

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
)

func TestModuleDefaults(t *testing.T) {
	dirs, err := filepath.Glob("modules/*/variables.tf")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no modules found: %v", err)
	}
	for _, path := range dirs {
		module := filepath.Base(filepath.Dir(path))
		if _, err := ModuleDefaults(module); err != nil {
			t.Errorf("%s: %v", module, err)
		}
	}
	d := MustModuleDefaults("function")
	if v := d["batch_size"]; v.IsNull() || !v.Type().Equals(cty.Number) {
		t.Errorf("function module batch_size default = %#v, want a number", v.Value)
	}
	r, err := RootDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if v := r["on_failure_destination"]; v.IsNull() || !v.Type().Equals(cty.String) {
		t.Errorf("root on_failure_destination default = %#v, want a string", v.Value)
	}
	if _, err := ModuleDefaults("nope"); err == nil {
		t.Error("a missing module had defaults")
	}
}

// The embedded files are the files on disk (go:embed reads them at build time; this guards the pattern).
func TestEmbedsEveryModule(t *testing.T) {
	entries, err := os.ReadDir("modules")
	if err != nil {
		t.Fatal(err)
	}
	embedded, _ := modules.ReadDir("modules")
	var want, got []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("modules", e.Name(), "variables.tf")); err == nil {
			want = append(want, e.Name())
		}
	}
	for _, e := range embedded {
		got = append(got, e.Name())
	}
	if !slices.Equal(want, got) {
		t.Errorf("embedded modules %v, on disk %v", got, want)
	}
}

// Outside Lambda (redrive's direct mode without -memory-size, the tests) the function's budgets assume the memory
// size a deployment defaults to.
func TestDefaultMemoryIsTheModules(t *testing.T) {
	v := MustModuleDefaults("function")["memory_size"]
	if v.IsNull() || !v.Type().Equals(cty.Number) {
		t.Fatalf("function module memory_size default = %#v, want a number", v.Value)
	}
	if mb, _ := v.AsBigFloat().Int64(); mb != budget.DefaultMemoryMB {
		t.Errorf("function module memory_size defaults to %d MB, budget.DefaultMemoryMB to %d", mb, budget.DefaultMemoryMB)
	}
}
