package transform

import (
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// TestFusedScratchOfAnotherTransform: a Scratch is documented as the evaluator's memory from one record to the next,
// not as one Transform's; the plans it keeps were made for the Transform that learnt them. Another Transform that
// shapes a record with it must not take the first one's plan (a latent hazard: today each Shaper has one Transform).
func TestFusedScratchOfAnotherTransform(t *testing.T) {
	sc, err := schema.Compile([]byte(`{}`), "mem://any.json")
	if err != nil {
		t.Fatal(err)
	}
	dropA, err := Compile(`del(.a)`)
	if err != nil {
		t.Fatal(err)
	}
	dropB, err := Compile(`del(.b)`)
	if err != nil {
		t.Fatal(err)
	}
	const rec = `{"a":1,"b":2}`
	var s Scratch
	for range 3 { // as shape.Shaper does: the fused path, else the tree path, from which the plans learn
		if _, ok := dropA.ApplyFused([]byte(rec), &s, sc.Check()); !ok {
			in := decode(t, rec)
			if _, _, sure, ok := dropA.ApplyNativeChecked(in, &s, sc.Check(), false); ok && sure {
				dropA.LearnFused(in, &s, sc.Check())
			}
		}
	}
	if s.Fused == 0 {
		t.Fatal("del(.a) made no plan: the test no longer tests anything")
	}
	if out, ok := dropB.ApplyFused([]byte(rec), &s, sc.Check()); ok && string(out) != `{"a":1}` {
		t.Errorf("del(.b) on %s with the Scratch of del(.a): %s, want {\"a\":1}", rec, out)
	}
}
