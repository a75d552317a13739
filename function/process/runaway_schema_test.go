package process

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A schema that composes a recursive node of several parts (allOf), each of which describes the children, has every
// child checked once per part at every level: parts^depth, for VALID records, in the schema's compiled check
// (schema/fast.go, sure), which 4b25cf3's bound on the library does not cover (it runs once the check is unsure).
// The check does not look at the invocation's deadline, which bounds everything else (the transform, decoding).
// Measured before 4b25cf3 with three parts: 12 levels (98 bytes), 0.8 s in the compiled check; 13 levels, past
// maxSureDepth, 35 s in the library (15: 5 min 19 s). With four parts the compiled check alone takes 4^12 steps for
// a valid record of 98 bytes; with an invocation of 2 s the record is reported as the checkpoint with nothing
// written, and the next invocation starts with it again: a blocked shard. (From a review.)
func TestRunawaySchemaCheckEndsWithTheInvocation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "composed.json")
	const s = `{"$ref":"#/$defs/node","$defs":{
		"node":{"allOf":[{"$ref":"#/$defs/a"},{"$ref":"#/$defs/b"},{"$ref":"#/$defs/c"},{"$ref":"#/$defs/d"}]},
		"a":{"type":"object","properties":{"c":{"type":"array","items":{"$ref":"#/$defs/node"}}}},
		"b":{"properties":{"c":{"maxItems":5,"items":{"$ref":"#/$defs/node"}}}},
		"c":{"properties":{"c":{"minItems":1,"items":{"$ref":"#/$defs/node"}}}},
		"d":{"properties":{"c":{"maxItems":9,"items":{"$ref":"#/$defs/node"}}}}}}`
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Schema = path
	p := newProc(t, c, newMem())
	rs := batch(2)
	rs[0].Kinesis.Data = []byte(strings.Repeat(`{"c":[`, 12) + `{}` + strings.Repeat(`]}`, 12))
	const deadline = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	resp, m, err := p.Process(ctx, rs)
	took := time.Since(start)
	t.Logf("took %v: %v %v %+v", took.Round(time.Millisecond), err, failures(resp), m)
	// A bound, not a wait: twice the invocation's time, as a runaway transform is held to its own limit.
	if took > 2*deadline {
		t.Fatalf("Process took %v with an invocation of %v: the schema check of one valid record ran past its end", took, deadline)
	}
	// Its checks are bounded instead (schema/fast.go's steps, recursion.go's count): unchecked, it is quarantined.
	if m.RecordsWritten != 1 || m.RecordsQuarantined != 1 || len(failures(resp)) != 0 {
		t.Errorf("metrics %+v, failures %v: want the deep record quarantined and the other written", m, failures(resp))
	}
	// A shallower record of the same schema is checked and written.
	rs[0].Kinesis.Data = []byte(strings.Repeat(`{"c":[`, 3) + `{}` + strings.Repeat(`]}`, 3))
	if _, m, _ := p.Process(context.Background(), rs); m.RecordsWritten != 2 {
		t.Errorf("3 levels: metrics %+v, want both written", m)
	}
}
