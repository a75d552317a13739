package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

const sh = "shardId-000000000000"

// withSchema returns a processor with SCHEMA set to doc, and its writer.
func withSchema(t *testing.T, mode, doc string) (*Processor, *memWriter) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := cfg(mode)
	conf.Schema = path
	w := newMem()
	return newProc(t, conf, w), w
}

// A number float64 cannot hold used to panic the schema library, failing the invocation on every retry. Now the
// record is quarantined with a reason naming the number, and the records after it are written.
func TestHugeNumberIsQuarantined(t *testing.T) {
	for _, n := range []string{"1e9999999", "1e-99999999"} {
		p, w := withSchema(t, "batch", `{"type":"object","properties":{"n":{"type":"number","multipleOf":0.01,"maximum":10}}}`)
		resp, m, err := p.Process(context.Background(), []events.KinesisEventRecord{
			rec(sh, 1, t0, `{"n":`+n+`}`), rec(sh, 2, t0, `{"n":1}`)})
		if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsWritten != 1 || m.RecordsQuarantined != 1 {
			t.Fatalf("n=%s: %v %v %+v", n, err, failures(resp), m)
		}
		if got := quarantineReasons(t, w)[seqOf(1)]; got != "schema: /n: number out of range" {
			t.Errorf("n=%s: reason %q", n, got)
		}
	}
}

// A panic while shaping one record (a bug, here or in a library) quarantines that record with the panic as its
// reason, and the unit's other records are shaped. A shaping state that is missing stands in for the bug: it is
// dereferenced at the first record.
func TestPanicWhileShapingQuarantinesTheRecord(t *testing.T) {
	p, _ := withSchema(t, "batch", `{"type":"object"}`)
	data := []byte(`{}`)
	u := &unit{rec: &events.KinesisEventRecord{}, items: []decode.Item{{Data: data, Raw: data}, {Data: data, Raw: data}}}
	if !p.shapeUnit(context.Background(), nil, u, true, time.Time{}) {
		t.Fatal("shapeUnit stopped")
	}
	for k, it := range u.items {
		if it.Err == nil || !strings.HasPrefix(it.Err.Error(), "internal error: shaping the record panicked: ") {
			t.Errorf("item %d: %v", k, it.Err)
		}
	}
}

// runaway is a transform that runs for as long as it is allowed on a record with a large .n.
const runaway = `if .n then ([limit(.n; repeat(1))] | length) as $x | . else . end`

// A transform that runs away on one record used to spend the invocation's whole time, and the record's quarantine
// write then had none left: the record failed on every retry. Now the transform is stopped at its own limit (a
// second), the record is quarantined with that reason, and the next one written.
func TestRunawayTransformIsQuarantined(t *testing.T) {
	c := cfg("batch")
	c.Transform = runaway
	w := newMem()
	p := newProc(t, c, w)
	// The invocation's time is a bound, not a wait: it is long enough that the transform's own limit is what stops the
	// record even when the runaway overruns it on a loaded machine (by 1.8 s once, which with 5 s passed halfway and
	// left the next record).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, m, err := p.Process(ctx, []events.KinesisEventRecord{rec(sh, 1, t0, `{"n":100000000000}`), rec(sh, 2, t0, `{"ok":1}`)})
	if err != nil || len(resp.BatchItemFailures) != 0 || m.RecordsWritten != 1 || m.RecordsQuarantined != 1 {
		t.Fatalf("%v %v %+v", err, failures(resp), m)
	}
	if got := quarantineReasons(t, w)[seqOf(1)]; !strings.HasPrefix(got, "transform: took longer than ") {
		t.Errorf("reason %q", got)
	}
}

// When the invocation itself ends while a record's transform runs, the record is not at fault: decoding stops
// before it, without a verdict, and it is left to the next invocation like the records after it. The invocation
// ends as the runaway record's transform starts, which finds it as it runs (gojq checks the context as it goes).
// A timer of 50 ms from the start used to end it instead: under qemu on a loaded machine it fired before the first
// record was shaped, which set that record aside.
func TestInvocationEndDuringATransformLeavesTheRecord(t *testing.T) {
	c := cfg("batch")
	c.Transform = runaway
	p := newProc(t, c, newMem())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.beforeShape = func(data []byte) {
		if strings.Contains(string(data), `"n"`) {
			cancel()
		}
	}
	var m Metrics
	units, cut, err := p.decode(ctx, []events.KinesisEventRecord{
		rec(sh, 1, t0, `{"ok":1}`), rec(sh, 2, t0, `{"n":100000000000}`), rec(sh, 3, t0, `{"ok":3}`)}, &m)
	if err != nil || cut != 1 {
		t.Fatalf("err %v, cut at %d, want 1", err, cut)
	}
	for i, u := range units[:2] {
		if n, _ := u.invalid(); n != 0 {
			t.Errorf("record %d rejected: %v", i, u.items[0].Err)
		}
	}
}

// An aggregate whose user records each run their transform to the limit would take longer than an invocation. As
// the first record of the invocation it is never left for the next one, which would meet it first again (a blocked
// shard): its user records not shaped by half the invocation's time are set aside with the reason, and the
// invocation ends before the next record.
func TestSlowAggregateFirstMovesTheShardOn(t *testing.T) {
	c := cfg("batch")
	c.Transform = runaway
	w := newMem()
	p := newProc(t, c, w)
	data := make([]string, 40)
	for i := range data {
		data[i] = `{"n":100000000000}`
	}
	rs := []events.KinesisEventRecord{rec(sh, 1, t0, `{}`), rec(sh, 2, t0, `{"ok":1}`)}
	rs[0].Kinesis.Data = kpl([]string{"k"}, data...)
	// Halfway (4.5 s) comes after a few user records have run to the transform's limit, and leaves time to write the
	// quarantine even when the last transform overruns its second on a loaded machine (by 1.8 s once, in another
	// test: with 3 s, an overrun of 1.7 s would have ended the writes' time before the quarantine was written).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, m, err := p.Process(ctx, rs)
	if err != nil || !slices.Equal(failures(resp), []string{seqOf(2)}) || m.RecordsQuarantined != 40 {
		t.Fatalf("%v %v %+v: want the aggregate quarantined and the next record left", err, failures(resp), m)
	}
	if r := quarantineReasons(t, w)[seqOf(1)]; !strings.Contains(r, "the first, 0: transform: took longer than 1s") {
		t.Errorf("reason %q", r)
	}
	setAside := 0
	for _, body := range w.objects {
		setAside += strings.Count(string(body), "the rest are set aside so that the shard moves on")
	}
	if setAside == 0 {
		t.Error("no user record was set aside for the invocation's time")
	}
}

// The retry of a large aggregate resumes after the user records an earlier invocation handled; those it shapes
// again (for the same quarantine object) are not counted again as skipped or dropped.
func TestResumedAggregateCountsOnlyTheRest(t *testing.T) {
	const n = 1500
	data := make([]string, n)
	for i := range data {
		data[i] = fmt.Sprintf(`{"i":%d}`, i)
	}
	data[11] = "not json" // skipped by the first invocation
	rs := []events.KinesisEventRecord{rec(sh, 0, t0, "")}
	rs[0].Kinesis.Data = kpl([]string{"k"}, data...)
	c := cfg("record")
	c.OnInvalidRecord, c.Transform = config.InvalidSkip, `if .i % 10 == 0 then empty else . end`
	w := newMem()
	stopAt := layout.RecordKey("kinesis/", seqOf(0), 701)
	w.fail = func(key string) bool { return key == stopAt }
	p := newProc(t, c, w)
	if resp, _, _ := p.Process(context.Background(), rs); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("first attempt: failures %v", failures(resp))
	}
	w.fail = nil
	resp, m, _ := p.Process(context.Background(), rs)
	// From user record 701 on: 710, 720, …, 1490 are dropped; nothing is invalid.
	if len(resp.BatchItemFailures) != 0 || m.RecordsDropped != 79 || m.RecordsSkipped != 79 || m.RecordsWritten != n-701-79 {
		t.Fatalf("retry: failures %v, metrics %+v", failures(resp), m)
	}
}
