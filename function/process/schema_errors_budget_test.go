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

// A record just under the cap of values that the fast path cannot vouch for is validated by the library on
// Value.Any, which collects an error (with its causes) for each element: memory that budget.Values does not count
// (it counts the tree and the decoder's stack, jsonvalue.ValueSize each). The live heap must still stay within what
// the budget allows for. At 30004c1 (48-byte values, cap 305,834) it peaked at 205 MiB; at d320b6a (32-byte values,
// cap 458,752) at 295 MiB, over the 224 MiB Go memory limit of a 512 MB function.
func TestRecordUnderTheValuesCapWithManySchemaErrorsStaysInBudget(t *testing.T) {
	b := budget.For(512)
	path := filepath.Join(t.TempDir(), "anyof.json")
	const s = `{"type":"object","properties":{"xs":{"type":"array","items":{"anyOf":[{"type":"integer"},{"type":"boolean"}]}}}}`
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Schema, c.Format, c.Compression, c.MemoryMB = path, config.FormatJSONL, config.CompressionZstd, 512
	data := gzipped(`{"xs":[` + strings.Repeat(`{},`, b.Values-10) + `"x"]}`) // each {} fails both branches
	w := newMem()
	p := newProc(t, c, w)
	rs := batch(3)
	rs[0].Kinesis.Data, rs[1].Kinesis.Data = data, data
	var m Metrics
	peak := peakLiveHeap(func() { _, m, _ = p.Process(context.Background(), rs) })
	if m.RecordsQuarantined != 2 || m.RecordsWritten != 1 {
		t.Fatalf("metrics %+v, want 2 quarantined and 1 written", m)
	}
	if limit := liveHeapBound(b); int64(peak) > limit {
		t.Fatalf("live heap peaked at %d MiB, over %d MiB (values cap %d)", peak>>20, limit>>20, b.Values)
	}
	t.Logf("live heap peaked at %d MiB", peak>>20)
}
