package main

import (
	"testing"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
)

// With nothing quarantined (--invalid-fraction 0, or on_invalid_record other than quarantine) the demo printed
// "quarantined 0 records ()".
func TestCountsByKind(t *testing.T) {
	for want, byKind := range map[string]map[generate.Kind]int{
		"":                       nil,
		" (empty 2, not-json 1)": {generate.KindNotJSON: 1, generate.KindEmpty: 2},
	} {
		if got := countsByKind(byKind); got != want {
			t.Errorf("countsByKind(%v) = %q, want %q", byKind, got, want)
		}
	}
}
