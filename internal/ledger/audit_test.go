package ledger

import (
	"testing"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
)

func TestFromAudit(t *testing.T) {
	text := func(s string) generate.Payload { return generate.Payload{Data: &s} }
	sent := []generate.AuditRecord{
		{Index: 0, ShardID: "s0", SequenceNumber: "1", Kind: generate.KindJSON, Payload: text(`{"a":1}`)},
		{Index: 1, ShardID: "s0", SequenceNumber: "2", Kind: generate.KindKPL, Payload: generate.Payload{DataBase64: "84maMg=="},
			Records: []generate.AuditSubRecord{{Payload: text(`{"b":1}`)}, {Payload: text(`{"b":2}`)}}},
		{Index: 2, ShardID: "s1", SequenceNumber: "3", Kind: generate.KindBadUTF8, Payload: generate.Payload{DataBase64: "/w=="}},
		{Index: 3, ShardID: "s1", SequenceNumber: "4", Kind: generate.KindBadKPL, Payload: generate.Payload{DataBase64: "84maMg=="}},
	}
	want, err := FromAudit(sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 5 {
		t.Fatalf("want %+v", want)
	}
	if w := want[0]; w.SubIndex != -1 || string(w.Data) != `{"a":1}` || w.Quarantine || w.ShardID != "s0" || w.SequenceNumber != "1" {
		t.Errorf("JSON record: %+v", w)
	}
	if w := want[2]; w.SubIndex != 1 || string(w.Data) != `{"b":2}` || w.Quarantine || w.SequenceNumber != "2" {
		t.Errorf("second KPL sub-record: %+v", w)
	}
	if w := want[2]; string(w.Record) != "\xf3\x89\x9a\x32" {
		t.Errorf("second KPL sub-record: Record %q, want the aggregate", w.Record)
	}
	if w := want[3]; !w.Quarantine || w.Reason != "invalid UTF-8" || string(w.Data) != "\xff" || w.SubIndex != -1 {
		t.Errorf("bad UTF-8 record: %+v", w)
	}
	if w := want[4]; !w.Quarantine || w.Reason != "MD5" {
		t.Errorf("bad KPL record: %+v", w)
	}
	if _, err := FromAudit([]generate.AuditRecord{{Kind: generate.KindOversized, Payload: text("{}")}}); err == nil {
		t.Error("a kind without a known outcome was accepted")
	}
	if _, err := FromAudit([]generate.AuditRecord{{Kind: generate.KindJSON, Payload: generate.Payload{DataBase64: "!"}}}); err == nil {
		t.Error("bad base64 was accepted")
	}
}
