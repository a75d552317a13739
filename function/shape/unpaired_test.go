package shape

import (
	"context"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// TestShapeUnpairedSurrogates: without a transform, a record's tree keeps an unpaired surrogate escape (\ud800) for
// Parquet (which quarantines it from a string column, and keeps it in _extra), and its text is as sent. A transform
// reads it as U+FFFD, as jq does, on every path (native, gojq, on the text): its output, text and tree, has U+FFFD
// and no escape, for JSON Lines and Parquet alike.
func TestShapeUnpairedSurrogates(t *testing.T) {
	in := []byte(`{"order_id":"o-\ud800","amount":1,"amount_cents":100,"note":"\udc00"}`)
	s, err := schema.Compile([]byte(ordersSchema), "mem://orders.json")
	if err != nil {
		t.Fatal(err)
	}
	rec, keep, err := (&Shaper{Options: Options{Schema: s}}).Shape(context.Background(), append(in[:0:0], in...))
	if err != nil || !keep || string(rec.JSON) != string(in) {
		t.Fatalf("without a transform: %s %v %v", rec.JSON, keep, err)
	}
	if id, _ := rec.Value.Get("order_id"); id.Unpaired() != `\ud800` || id.Text() != "o-\uFFFD" {
		t.Errorf("without a transform, order_id is %q, escape %q", id.Text(), id.Unpaired())
	}
	want := "{\"amount\":1,\"amount_cents\":100,\"note\":\"\uFFFD\",\"order_id\":\"o-\uFFFD\"}"
	for _, expr := range []string{ordersTransform, "if true then . else empty end | " + ordersTransform} {
		o := options(t, expr)
		for _, skip := range []bool{false, true} {
			if skip {
				o.TimeField, o.PartitionKeys = nil, nil // the text paths, which make no tree
			}
			sh := &Shaper{Options: o, SkipValue: skip}
			for range 2 { // the second time, the fused path knows the record's key order
				rec, keep, err := sh.Shape(context.Background(), append(in[:0:0], in...))
				if err != nil || !keep || string(rec.JSON) != want {
					t.Fatalf("%s (SkipValue %v): %s %v %v; want %s", expr, skip, rec.JSON, keep, err, want)
				}
				if id, _ := rec.Value.Get("order_id"); !skip && (id.Unpaired() != "" || id.Text() != "o-\uFFFD") {
					t.Errorf("%s: the output's order_id is %q, escape %q", expr, id.Text(), id.Unpaired())
				}
			}
		}
	}
}
