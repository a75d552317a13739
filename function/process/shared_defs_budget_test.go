package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// 4b25cf3 bounds what the JSON Schema library does by counting its evaluations only when the schema reaches itself
// (Schema.recursive). A schema without recursion can make it evaluate a value as many times: unions that share a
// definition ($defs) make a graph of paths, and the library takes every path, collecting the errors of each. Seven
// nested two-way unions over one shared definition are 128 evaluations of every element; an array of 2,000 numbers
// (a 4 KB record, 2,002 values, well under budget.Library's 28,672) peaks at 270 MiB of live heap and takes 24 s
// here (eight unions: 524 MiB, 65 s), over the 224 MiB Go memory limit of a 512 MB function. The count covers it if
// it is made for every schema the compiled checks leave to the library, not only recursive ones.
func TestSchemaWithSharedDefinitionsStaysInBudget(t *testing.T) {
	b := budget.For(512)
	const levels = 7
	var defs []string
	for i := range levels {
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d","minimum":5}]}`, i, i+1, i+1))
	}
	defs = append(defs, fmt.Sprintf(`"d%d":{"type":"object"}`, levels))
	s := `{"type":"object","properties":{"xs":{"type":"array","items":{"$ref":"#/$defs/d0"}}},"$defs":{` +
		strings.Join(defs, ",") + `}}`
	path := filepath.Join(t.TempDir(), "shared.json")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Schema, c.Format, c.Compression, c.MemoryMB = path, config.FormatJSONL, config.CompressionZstd, 512
	p := newProc(t, c, newMem())
	rs := batch(1)
	rs[0].Kinesis.Data = []byte(`{"xs":[` + strings.Repeat(`1,`, 1999) + `1]}`)
	var m Metrics
	peak := peakLiveHeap(func() { _, m, _ = p.Process(context.Background(), rs) })
	if m.RecordsQuarantined != 1 {
		t.Fatalf("metrics %+v, want the record quarantined", m)
	}
	if limit := liveHeapBound(b); int64(peak) > limit {
		t.Fatalf("%d-byte record: live heap peaked at %d MiB, over %d MiB", len(rs[0].Kinesis.Data), peak>>20, limit>>20)
	}
	t.Logf("live heap peaked at %d MiB", peak>>20)
}
