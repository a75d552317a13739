package shape

import (
	"context"
	"fmt"
	"testing"
)

// Review of the fused path (transform/fused.go): each case teaches a Shaper that may take the fused path a key
// sequence with the records in learn (each shaped three times, so that it has a plan), then shapes probe with it
// and with a Shaper that keeps the tree; the two must give the same record, keep flag, Compact flag and reason.
var fusedReviewCases = []struct {
	name, expr, schema string
	maxValues          int
	learn              []string
	probe              string
}{
	{
		// del(p, q) finds every path in the input first, as gojq does: .a.b through a number is an error even though
		// .a is deleted before. The plan walks the paths one after another on the record as the earlier ones left it.
		name: "del of a path under one deleted before, through a number",
		expr: `del(.a, .a.b)`, schema: `{}`,
		learn: []string{`{"a":null,"x":1}`},
		probe: `{"a":5,"x":1}`,
	},
	{
		name: "del of a path under one deleted before, through a string",
		expr: `del(.u.v, .u.v.w)`, schema: `{}`,
		learn: []string{`{"u":{"v":null},"x":1}`},
		probe: `{"u":{"v":"s"},"x":1}`,
	},
	{
		// The same through a value an earlier step computed: the plan must walk every path before it deletes any.
		name: "del of a path under one deleted before, through a computed value",
		expr: `.a = .x | del(.a, .a.b)`, schema: `{}`,
		learn: []string{`{"x":null}`},
		probe: `{"x":5}`,
	},
}

func shapeDiff(fused, tree *Shaper, data []byte) (taken bool, diff string) {
	before := fused.scratch.Fused
	got, gotKeep, gotErr := fused.Shape(context.Background(), data)
	taken = fused.scratch.Fused > before
	gotJSON := string(got.JSON) // before the tree Shaper runs: nothing shared, but to be safe
	want, wantKeep, wantErr := tree.Shape(context.Background(), data)
	if gotJSON != string(want.JSON) || got.Compact != want.Compact || gotKeep != wantKeep ||
		fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		diff = fmt.Sprintf("%s\nfused path taken: %v\ngot  %s compact %v keep %v err %v\nwant %s compact %v keep %v err %v",
			data, taken, gotJSON, got.Compact, gotKeep, gotErr, want.JSON, want.Compact, wantKeep, wantErr)
	}
	return taken, diff
}

func TestFusedReview(t *testing.T) {
	for _, c := range fusedReviewCases {
		t.Run(c.name, func(t *testing.T) {
			fused, tree := fusedShapers(fusedOptions(t, c.expr, c.schema), c.maxValues)
			for _, rec := range c.learn {
				for range 3 {
					if _, d := shapeDiff(fused, tree, []byte(rec)); d != "" {
						t.Fatalf("learning: %s", d)
					}
				}
			}
			if _, d := shapeDiff(fused, tree, []byte(c.probe)); d != "" {
				t.Error(d)
			}
		})
	}
}
