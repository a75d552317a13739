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

// A record the compiled checks cannot vouch for is validated by the library on Value.Any, which collects an error
// (with its causes) for each element: memory that budget.Values does not count (it counts the tree and the decoder's
// stack). budget.Library caps such records: one just under it is checked by the library, and one just under
// budget.Values is quarantined without it. Either way the live heap stays within what the budget allows for. Before
// the cap, the second peaked at 295 MiB, over the 224 MiB Go memory limit of a 512 MB function.
func TestRecordUnderTheValuesCapWithManySchemaErrorsStaysInBudget(t *testing.T) {
	b := budget.For(512)
	path := filepath.Join(t.TempDir(), "anyof.json")
	const s = `{"type":"object","properties":{"xs":{"type":"array","items":{"anyOf":[{"type":"integer"},{"type":"boolean"}]}}}}`
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Schema, c.Format, c.Compression, c.MemoryMB = path, config.FormatJSONL, config.CompressionZstd, 512
	for _, tc := range []struct {
		values int
		reason string
	}{
		{b.Library - 10, "schema: /xs/0: got object, want boolean (type)"},
		{b.Values - 10, fmt.Sprintf("schema: not checked: more than %d JSON values", b.Library)},
	} {
		// {} is a value, and fails both branches; the array and its key are two more.
		data := gzipped(`{"xs":[` + strings.Repeat(`{},`, tc.values-3) + `"x"]}`)
		w := newMem()
		p := newProc(t, c, w)
		rs := batch(3)
		rs[0].Kinesis.Data, rs[1].Kinesis.Data = data, data
		var m Metrics
		peak := peakLiveHeap(func() { _, m, _ = p.Process(context.Background(), rs) })
		if m.RecordsQuarantined != 2 || m.RecordsWritten != 1 {
			t.Fatalf("%d values: metrics %+v, want 2 quarantined and 1 written", tc.values, m)
		}
		var body []byte
		for _, k := range w.keys("errors/") {
			body = w.objects[k]
		}
		if !strings.Contains(string(body), tc.reason) {
			t.Errorf("%d values: quarantined as %.300s, want %q", tc.values, body, tc.reason)
		}
		if limit := liveHeapBound(b); int64(peak) > limit {
			t.Fatalf("%d values: live heap peaked at %d MiB, over %d MiB", tc.values, peak>>20, limit>>20)
		}
		t.Logf("%d values: live heap peaked at %d MiB", tc.values, peak>>20)
	}
}
