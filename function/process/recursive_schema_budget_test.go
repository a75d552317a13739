package process

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// budget.Library bounds what the JSON Schema library may hold by the values of a record, at LibraryValueCost each.
// With a recursive schema what it holds is not linear in the values:
//   - every $ref it follows makes an error with a copy of the instance location, as long as the depth, so a chain
//     of nested nodes with a bad leaf holds strings in the square of its depth: 4,990 levels (40 KB, 14,970 values,
//     half the 512 MB cap) peaked at 379 MiB of live heap;
//   - a union whose branches each recurse (document trees, expression ASTs: {"type": ..., "content": [...]}) is
//     evaluated once per branch at every level, each collecting its errors: 2^depth. A record of 444 bytes, 15
//     levels deep, peaked at 238 MiB and took 13 s; each level more doubles both (16: 496 MiB, 33 s; 22,
//     extrapolated: 17 min, past Lambda's longest timeout, so a record of 600 bytes blocked the shard). Valid
//     records of such a schema take 2^depth too, without the errors' memory (14 levels: 0.4 s).
//
// Such records are now quarantined unchecked: the library's evaluations are counted before it runs
// (schema/recursion.go).
func TestRecursiveSchemaErrorsStayInBudget(t *testing.T) {
	for _, tc := range recursiveCases {
		t.Run(tc.name, func(t *testing.T) {
			m, reason, peak := processRecursive(t, tc.schema, tc.record(tc.tooDeep))
			if m.RecordsQuarantined != 1 || !strings.Contains(reason, "not checked") {
				t.Fatalf("metrics %+v, reason %q: want the record quarantined unchecked", m, reason)
			}
			t.Logf("%d levels: live heap peaked at %d MiB", tc.tooDeep, peak>>20)
		})
	}
}

// The records the bound lets through are checked by the library, and stay in budget: the deepest of each shape,
// and one level deeper is not let through. (The union doubles what the library does at every level.)
func TestRecursiveSchemaDeepestCheckedStaysInBudget(t *testing.T) {
	for _, tc := range recursiveCases {
		t.Run(tc.name, func(t *testing.T) {
			m, reason, peak := processRecursive(t, tc.schema, tc.record(tc.deepest))
			if m.RecordsQuarantined != 1 || !strings.Contains(reason, tc.libraryReason) {
				t.Fatalf("%d levels: metrics %+v, reason %q: want the library's %q", tc.deepest, m, reason, tc.libraryReason)
			}
			t.Logf("%d levels: live heap peaked at %d MiB", tc.deepest, peak>>20)
			if _, reason, _ = processRecursive(t, tc.schema, tc.record(tc.deepest+1)); !strings.Contains(reason, "not checked") {
				t.Errorf("%d levels: reason %q, want it unchecked", tc.deepest+1, reason)
			}
			valid := strings.Replace(tc.record(tc.deepest), tc.badLeaf, tc.goodLeaf, 1)
			if m, reason, _ := processRecursive(t, tc.schema, valid); m.RecordsWritten != 1 {
				t.Errorf("%d levels, valid: metrics %+v, reason %q: want it written", tc.deepest, m, reason)
			}
		})
	}
}

var recursiveCases = []struct {
	name, schema      string
	record            func(depth int) string
	tooDeep, deepest  int
	badLeaf, goodLeaf string
	libraryReason     string
}{
	{
		name:   "a $ref chain",
		schema: `{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"c":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}}`,
		record: func(depth int) string {
			return strings.Repeat(`{"c":[`, depth) + `1` + strings.Repeat(`]}`, depth)
		},
		tooDeep: 4990, deepest: 1532, badLeaf: "[1]", goodLeaf: "[{}]", libraryReason: "got number, want object",
	},
	{
		name: "a union of recursive branches",
		schema: `{"$ref":"#/$defs/node","$defs":{"node":{"anyOf":[
			{"type":"object","required":["type"],"properties":{"type":{"const":"paragraph"},"content":{"type":"array","items":{"$ref":"#/$defs/node"}}}},
			{"type":"object","required":["type"],"properties":{"type":{"const":"list"},"content":{"type":"array","items":{"$ref":"#/$defs/node"}}}},
			{"type":"object","required":["type","text"],"properties":{"type":{"const":"text"},"text":{"type":"string"}}}]}}}`,
		record: func(depth int) string {
			return strings.Repeat(`{"type":"list","content":[`, depth) + `{"type":"text","text":1}` + strings.Repeat(`]}`, depth)
		},
		tooDeep: 15, deepest: 12, badLeaf: `"text":1`, goodLeaf: `"text":"a"`, libraryReason: "missing property 'text' (required)",
	},
}

// processRecursive processes one record under schema at 512 MB, and returns the metrics, the quarantine reason,
// and the peak of the live heap, which it holds to the budget's bound.
func processRecursive(t *testing.T, schema, record string) (Metrics, string, uint64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, []byte(schema), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Schema, c.Format, c.Compression, c.MemoryMB = path, config.FormatJSONL, config.CompressionZstd, 512
	w := newMem()
	p := newProc(t, c, w)
	rs := batch(1)
	rs[0].Kinesis.Data = []byte(record)
	var m Metrics
	peak := peakLiveHeap(func() { _, m, _ = p.Process(context.Background(), rs) })
	if limit := liveHeapBound(budget.For(512)); int64(peak) > limit {
		t.Fatalf("%d-byte record: live heap peaked at %d MiB, over %d MiB", len(record), peak>>20, limit>>20)
	}
	reason := ""
	if q := quarantined(t, w); len(q) == 1 {
		reason = q[0].Reason
	}
	return m, reason, peak
}

// A recursive union written as if/then/else on a discriminating field, as the README advises, is evaluated one
// branch a level by the library, and so counted: records far deeper than the anyOf's twelve levels are checked.
func TestRecursiveIfThenElseIsCheckedDeep(t *testing.T) {
	const schema = `{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","required":["type"],
		"if":{"properties":{"type":{"const":"text"}}},
		"then":{"required":["text"],"properties":{"text":{"type":"string"}}},
		"else":{"properties":{"type":{"enum":["paragraph","list"]},"content":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}}}`
	record := func(leaf string) string {
		return strings.Repeat(`{"type":"list","content":[`, 200) + leaf + strings.Repeat(`]}`, 200)
	}
	if m, reason, _ := processRecursive(t, schema, record(`{"type":"text","text":"a"}`)); m.RecordsWritten != 1 {
		t.Errorf("valid, 200 levels: metrics %+v, reason %q: want it written", m, reason)
	}
	if _, reason, _ := processRecursive(t, schema, record(`{"type":"text","text":1}`)); !strings.Contains(reason, "got number, want string") {
		t.Errorf("invalid, 200 levels: reason %q, want the library's", reason)
	}
}
