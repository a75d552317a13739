package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
)

func TestLocalSettingsLayering(t *testing.T) {
	tfvars := filepath.Join(t.TempDir(), "x.tfvars")
	if err := os.WriteFile(tfvars, []byte("output_mode = \"batch\"\ncompression = \"zstd\"\nshard_count = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var f localFlags
	fs := localFlagSet(io.Discard, &f)
	if err := fs.Parse([]string{"--tfvars", tfvars, "--compression", "gzip", "--window", "1s"}); err != nil {
		t.Fatal(err)
	}
	s, source, err := localSettings(&f, fs)
	if err != nil {
		t.Fatal(err)
	}
	// tfvars over the defaults, flags over tfvars; what no one set keeps the Terraform default.
	if s.OutputMode != "batch" || s.Compression != "gzip" || s.Shards != 3 || s.ESM.MaximumBatchingWindow != time.Second ||
		s.ESM.BatchSize != 500 {
		t.Errorf("settings %+v", s)
	}
	if !strings.Contains(source, tfvars) || !strings.Contains(source, "--compression --window") {
		t.Errorf("source %q does not say where the settings came from", source)
	}

	fs = localFlagSet(io.Discard, &f)
	if err := fs.Parse([]string{"--mode", "batches"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := localSettings(&f, fs); err == nil || !strings.Contains(err.Error(), "OUTPUT_MODE") {
		t.Errorf("--mode batches: error %v, want one naming OUTPUT_MODE", err)
	}
}

func TestExpectations(t *testing.T) {
	// Where each record must end up is ledger.FromAudit's (tested there); this checks the kinds for the summary.
	text := func(s string) generate.Payload { return generate.Payload{Data: &s} }
	sent := []generate.AuditRecord{
		{Index: 0, ShardID: "s0", SequenceNumber: "1", Kind: generate.KindJSON, Payload: text(`{"a":1}`)},
		{Index: 1, ShardID: "s1", SequenceNumber: "3", Kind: generate.KindBadUTF8, Payload: generate.Payload{DataBase64: "/w=="}},
	}
	want, kinds, err := expectations(sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 2 || len(kinds) != 2 || kinds["s0/1"] != generate.KindJSON || kinds["s1/3"] != generate.KindBadUTF8 {
		t.Fatalf("want %+v kinds %v", want, kinds)
	}
	if _, _, err := expectations([]generate.AuditRecord{{Kind: generate.KindOversized, Payload: text("{}")}}); err == nil {
		t.Error("a kind without a known outcome was accepted")
	}
}
