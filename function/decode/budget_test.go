package decode

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

const mib = 1 << 20

// bomb is gzip of a JSON number followed by n-1 spaces: valid JSON that decompresses to n bytes from about n/1000.
func bomb(n int) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write([]byte("1"))
	w.Write(bytes.Repeat([]byte(" "), n-1))
	w.Close()
	return b.Bytes()
}

func TestBudgetLeavesWhatDoesNotFitToTheNextInvocation(t *testing.T) {
	d := Decoder{Budget: 10 * mib, RecordLimit: 5 * mib}
	rec := bomb(3 * mib)
	for i := range 3 { // 3 + 3 + 3 MiB of 10
		items, err := d.Record(rec, "pk")
		if err != nil || items[0].Err != nil || len(items[0].Data) != 3*mib {
			t.Fatalf("record %d: %v %v", i, err, items[0].Err)
		}
	}
	left := d.Budget
	if left != 10*mib-3*(3*mib+ItemCost) {
		t.Fatalf("budget left %d", left)
	}
	if _, err := d.Record(rec, "pk"); !errors.Is(err, ErrBudget) {
		t.Fatalf("fourth record: %v, want ErrBudget", err)
	}
	if d.Budget != left {
		t.Fatalf("a record left for the next invocation spent %d bytes", left-d.Budget)
	}
	// Plain records cost only their bookkeeping: the data is the event's own.
	if items, err := d.Record([]byte(`{"a":1}`), "pk"); err != nil || items[0].Err != nil || d.Budget != left-ItemCost {
		t.Fatalf("plain record: %v, budget %d", err, d.Budget)
	}
}

func TestRecordLimitIsTheRecordsFault(t *testing.T) {
	d := Decoder{Budget: 100 * mib, RecordLimit: 5 * mib}
	items, err := d.Record(bomb(5*mib+1), "pk")
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Err == nil || !strings.Contains(items[0].Err.Error(), "exceeds 5242880 bytes, the limit for one Kinesis record") {
		t.Fatalf("error %v", items[0].Err)
	}
	if d.Budget != 100*mib-ItemCost {
		t.Fatalf("an invalid record spent %d bytes", 100*mib-d.Budget)
	}

	// The limit is for the record's user records together: in an aggregate, the gzip user records after the
	// limit is reached are invalid, the others are not.
	three := string(bomb(2 * mib))
	data := aggregate([]string{"k"}, []sub{{"k", three}, {"k", three}, {"k", `{"plain":true}`}, {"k", three}})
	items, err = d.Record(data, "pk")
	if err != nil {
		t.Fatal(err)
	}
	for i, wantErr := range []bool{false, false, false, true} {
		if (items[i].Err != nil) != wantErr {
			t.Errorf("user record %d: error %v", i, items[i].Err)
		}
	}
}

func TestBombsCostMemoryOnce(t *testing.T) {
	d := Decoder{Budget: 1 << 40, RecordLimit: 8 * mib}
	rec := bomb(8*mib + 1)
	d.Record(rec, "pk") // the scratch buffer grows once
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 20 {
		if items, _ := d.Record(rec, "pk"); items[0].Err == nil {
			t.Fatal("bomb accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1*mib {
		t.Fatalf("20 bombs over the limit allocated %d bytes; the scratch buffer should serve them all", alloc)
	}
}

func TestAggregateLimits(t *testing.T) {
	subs := make([]sub, MaxSubRecords)
	for i := range subs {
		subs[i] = sub{"k", "1"}
	}
	items := Record(aggregate([]string{"k"}, subs), "pk")
	if len(items) != MaxSubRecords || items[0].Err != nil {
		t.Fatalf("%d user records: %d items, %v", MaxSubRecords, len(items), items[0].Err)
	}
	items = Record(aggregate([]string{"k"}, append(subs, sub{"k", "1"})), "pk")
	if len(items) != 1 || items[0].Err == nil || !strings.Contains(items[0].Err.Error(), "more than 10000 user records") {
		t.Fatalf("one user record too many: %d items, %v", len(items), items[0].Err)
	}

	long := strings.Repeat("k", MaxPartitionKey+1)
	items = Record(aggregate([]string{long}, []sub{{long, "1"}}), "pk")
	if items[0].Err == nil || !strings.Contains(items[0].Err.Error(), "partition key 0 is 1025 bytes; at most 1024") {
		t.Fatalf("long key: %v", items[0].Err)
	}
	// A key that is not UTF-8 is kept as it is: it goes nowhere but the raw record.
	items = Record(aggregate([]string{"\xff\xfe"}, []sub{{"\xff\xfe", "1"}}), "pk")
	if items[0].Err != nil || items[0].PartitionKey != "\xff\xfe" {
		t.Fatalf("non-UTF-8 key: %+v", items[0])
	}
}
