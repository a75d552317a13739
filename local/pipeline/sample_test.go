package pipeline

import (
	"testing"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
)

func TestSampleOf(t *testing.T) {
	// Where each record must end up is ledger.FromAudit's (tested there); this checks the kinds for the summary.
	text := func(s string) generate.Payload { return generate.Payload{Data: &s} }
	sent := []generate.AuditRecord{
		{Index: 0, ShardID: "s0", SequenceNumber: "1", Kind: generate.KindJSON, Payload: text(`{"a":1}`)},
		{Index: 1, ShardID: "s1", SequenceNumber: "3", Kind: generate.KindBadUTF8, Payload: generate.Payload{DataBase64: "/w=="}},
	}
	s, err := SampleOf(sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Want) != 2 || len(s.Kinds) != 2 || s.Kinds["s0/1"] != generate.KindJSON || s.Kinds["s1/3"] != generate.KindBadUTF8 {
		t.Fatalf("want %+v kinds %v", s.Want, s.Kinds)
	}
	if _, err := SampleOf([]generate.AuditRecord{{Kind: generate.KindOversized, Payload: text("{}")}}); err == nil {
		t.Error("a kind without a known outcome was accepted")
	}
}
