package tfvars

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

func write(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.tfvars")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	path := write(t, `
name     = "demo"
shards   = 3
enabled  = true
prefix   = null # the module's default
unknown  = [1, 2] # no setter: ignored
`)
	name, shards, enabled, prefix := "", 0, false, "kept"
	err := Load(path, map[string]Setter{
		"name": Into(&name), "shards": Into(&shards), "enabled": Into(&enabled), "prefix": Into(&prefix),
		"absent": func(cty.Value) error { t.Error("setter called for a variable the file does not set"); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if name != "demo" || shards != 3 || !enabled || prefix != "kept" {
		t.Errorf("name %q shards %d enabled %v prefix %q", name, shards, enabled, prefix)
	}
}

func TestLoadErrors(t *testing.T) {
	for body, want := range map[string]string{
		"shards = 1.5\n":            "shards (",       // not a whole number; the error gives the position
		"shards = \"many\"\n":       "shards (",       // not a number
		"shards = var.other\n":      "tfvars: shards", // references cannot be evaluated in a tfvars file
		"shards = \n":               "tfvars",         // not HCL
		"shards { }\n":              "tfvars",         // a block, not an attribute
		"a = 1.5\nshards = \"x\"\n": "tfvars: a (",    // several bad values: the first by name
	} {
		var a, shards int
		err := Load(write(t, body), map[string]Setter{"a": Into(&a), "shards": Into(&shards)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", body, err, want)
		}
	}
	if err := Load(filepath.Join(t.TempDir(), "missing.tfvars"), nil); err == nil {
		t.Error("missing file: no error")
	}
}

func TestSeconds(t *testing.T) {
	for body, want := range map[string]time.Duration{"d = 30\n": 30 * time.Second, "d = 0\n": 0, "d = -1\n": -time.Second} {
		d := time.Hour
		if err := Load(write(t, body), map[string]Setter{"d": Seconds(&d)}); err != nil || d != want {
			t.Errorf("%q: %v, %v; want %v", body, d, err, want)
		}
	}
	for _, body := range []string{"d = 1.5\n", "d = \"30s\"\n", "d = 9223372037\n", "d = -9223372037\n", "d = 1e30\n"} {
		d := time.Hour
		if err := Load(write(t, body), map[string]Setter{"d": Seconds(&d)}); err == nil || d != time.Hour {
			t.Errorf("%q: %v, %v; want an error and d unchanged", body, d, err)
		}
	}
}
