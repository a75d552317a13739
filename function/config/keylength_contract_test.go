package config

import (
	"maps"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// TestTerraformKeyBoundariesAreTheFunctions holds the function module's key-length preconditions to Load's. Each
// pair of runs in terraform/tests/function.tftest.hcl plans a prefix whose longest key is S3's 1,024 bytes (accepted)
// and the same prefix one byte longer (rejected); Load must give each the same outcome. With those runs passing, the
// module and the cold start share the limit to the byte.
func TestTerraformKeyBoundariesAreTheFunctions(t *testing.T) {
	const file = "../../terraform/tests/function.tftest.hcl"
	envOf := map[string]string{} // module variable → environment variable
	for name, v := range moduleEnvironment(t) {
		envOf[v] = name
	}
	values := func(b *hclsyntax.Body) map[string]string {
		m := map[string]string{}
		for name, attr := range b.Attributes {
			m[name] = literal(t, attr.Expr)
		}
		return m
	}
	var common map[string]string // the file's variables block, which every run starts from
	runs := map[string]map[string]string{}
	for _, b := range parseHCL(t, file).Blocks {
		switch {
		case b.Type == "variables":
			common = values(b.Body)
		case b.Type == "run" && len(b.Labels) == 1:
			runs[b.Labels[0]] = map[string]string{}
			for _, vb := range b.Body.Blocks {
				if vb.Type == "variables" {
					runs[b.Labels[0]] = values(vb.Body)
				}
			}
		}
	}
	load := func(run string) (map[string]string, error) {
		vars, ok := runs[run]
		if !ok {
			t.Fatalf("%s has no run %q", file, run)
		}
		kv := map[string]string{}
		for name, v := range merged(common, vars) {
			if e, ok := envOf[name]; ok && e != EnvSchema { // SCHEMA is the object the module uploads, not a variable's value
				kv[e] = v
			}
		}
		_, err := Load(env(kv))
		return kv, err
	}
	for _, c := range []struct{ accepts, rejects, variable string }{
		{"accepts_the_longest_keys", "rejects_keys_too_long_for_s3", EnvKeyPrefix},
		{"accepts_the_longest_error_prefix", "rejects_an_error_prefix_too_long_for_s3", EnvErrorPrefix},
	} {
		ok, err := load(c.accepts)
		if err != nil {
			t.Errorf("run %s: Terraform plans it; Load: %v", c.accepts, err)
		}
		long, err := load(c.rejects)
		if err == nil || !strings.Contains(err.Error(), c.variable+" ") {
			t.Errorf("run %s: Terraform refuses it; Load: %v, want an error naming %s", c.rejects, err, c.variable)
		}
		if len(long[c.variable]) != len(ok[c.variable])+1 || !maps.Equal(without(ok, c.variable), without(long, c.variable)) {
			t.Errorf("runs %s and %s must differ only in %s, by one byte (%d and %d bytes)", c.accepts, c.rejects,
				c.variable, len(ok[c.variable]), len(long[c.variable]))
		}
		longest := layout.LongestErrorKey(ok[c.variable])
		if c.variable == EnvKeyPrefix {
			keys, _ := layout.ParsePartitionKeys(ok[EnvPartitionKeys])
			longest = layout.LongestDataKey(ok[c.variable], ok[EnvOutputMode] == ModeBatch, keys)
		}
		if longest != layout.MaxKeyBytes {
			t.Errorf("run %s: its longest key is %d bytes, not S3's limit of %d", c.accepts, longest, layout.MaxKeyBytes)
		}
	}
}

func merged(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

func without(m map[string]string, key string) map[string]string {
	m = maps.Clone(m)
	delete(m, key)
	return m
}
