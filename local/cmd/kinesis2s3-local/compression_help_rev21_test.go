package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// make run ARGS=-h said "-compression: batch-mode compression: gzip, zstd or none", but the flag is handed to the
// function as COMPRESSION and --format parquet --compression snappy runs (README: "snappy with FORMAT=parquet only").
// The help must list every value the function accepts.
func TestLocalHelpListsEveryCompression(t *testing.T) {
	var out bytes.Buffer
	fs := localFlagSet(&out, &localFlags{})
	f := fs.Lookup("compression")
	if f == nil {
		t.Fatal("no -compression flag")
	}
	for _, c := range config.Lookup(config.EnvCompression).Allowed {
		if !strings.Contains(f.Usage, c) {
			t.Errorf("-compression help %q does not list %s, which COMPRESSION accepts", f.Usage, c)
		}
	}
}
