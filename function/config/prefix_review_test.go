package config

import (
	"strings"
	"testing"
)

// ERROR_PREFIX and KEY_PREFIX must not overlap, not only differ: with KEY_PREFIX=kinesis/ and
// ERROR_PREFIX=kinesis/errors/ the quarantine objects and the progress markers land inside the data prefix, where
// the Athena/Glue table (whose location is KEY_PREFIX) reads them as data, and the data's lifecycle rules apply to
// them. The Terraform function module refuses this (a precondition: neither may start with the other); the
// function, which is deployed without that module too (the local pipeline, other tooling), accepts it.
func TestOverlappingPrefixesFailAtColdStart(t *testing.T) {
	for _, c := range []struct{ key, errs string }{
		{"kinesis/", "kinesis/errors/"}, // quarantine under the data
		{"errors/data/", "errors/"},     // data under the quarantine prefix
		{"data", "data-errors/"},        // a prefix is a string prefix, not a folder
	} {
		_, err := Load(env(map[string]string{"BUCKET_NAME": "b", "KEY_PREFIX": c.key, "ERROR_PREFIX": c.errs}))
		if err == nil || !strings.Contains(err.Error(), EnvErrorPrefix) || !strings.Contains(err.Error(), EnvKeyPrefix) {
			t.Errorf("KEY_PREFIX=%q ERROR_PREFIX=%q: error %v, want one naming both variables", c.key, c.errs, err)
		}
	}
}
