package shape

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
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

// The random differential: records of a few key sequences (dups, nested objects with their parent's keys, empty
// objects) whose scalars are drawn anew each time, so that a plan learnt from one record meets others of its key
// sequence with scalars of every kind; shaped with transforms of the fused path's class, schemas and caps.
var (
	randomScalars = []string{`null`, `true`, `false`, `0`, `-0`, `1`, `7`, `1.0`, `1e2`, `1E400`, `12345678901234567890`,
		`9007199254740993`, `""`, `"x"`, `"é"`, `"a\"b"`, `"\u00e9"`, `0.1`, `0.2`, `2.5`, `-5`, `"2026-11-30T00:00:00Z"`,
		`"abc"`, `"日本"`, `1000`, `"click"`, `-1`, `1e-400`, `"` + "\x7f" + `"`, `"ab` + "\xc3" + `"`, `"7"`, `1.5e300`}
	randomSkeletons = []string{`{"a":S,"b":{"c":S,"d":S},"e":S}`, `{"a":{"a":S,"b":S},"b":S}`, `{"a":S,"a":S,"b":{"x":S}}`,
		`{"b":{"x":S},"b":S,"a":S}`, `{"a":{"b":{"c":S}},"x":S}`, `{"a":{},"b":S}`, `{"u":{"v":S,"w":S},"u":{"v":S},"x":S}`,
		`{"id":S,"name":S,"n":S}`, `{"a":S}`, `{"e":S,"a":S,"b":{"d":S,"c":S}}`, `{"x":{"a":S},"a":{"x":S}}`}
	randomTransforms = []string{`del(.a)`, `del(.a, .b)`, `del(.a, .a.b)`, `del(.b.c, .b)`, `del(.a.b.c, .x)`,
		`.a |= . + 1`, `.a |= tostring`, `.a |= (. // 0)`, `.n = (.a + .b)`, `.n = (.a / 1000)`, `.n = (.a / .e)`,
		`.n = (.a * 1.5)`, `.n = (.a % 3)`, `.n = (.b.c // .a)`, `.a = (.a == .e)`, `.x = (if .a then .b.c else .e end)`,
		`.b.c = .a | del(.e)`, `.a = 1 | .a = (.a + 0.5)`, `.z = (.a < .e)`, `.a = null`, `.b.x = (.b.x | floor)`,
		`.n = (.name + "-" + (.id|tostring))`, `.a.b = 1`, `.a.a = 2`, `del(.u.v)`, `.u.v |= . - 1`, `.n = -(.a)`,
		`.c = (.a and .b)`, `.n = (.d // "none") | del(.a)`, `.x |= . * 2`}
	randomSchemas = []string{``, `{}`,
		`{"type":"object","properties":{"a":{"type":"integer"},"n":{"type":"number","maximum":1000}}}`,
		`{"type":"object","properties":{"a":{"type":"string","minLength":2,"maxLength":3}}}`,
		`{"type":"object","properties":{"a":{"enum":[1,"x",null,true]},"e":{"const":"click"}}}`,
		`{"type":"object","required":["a"],"properties":{"b":{"type":"object","additionalProperties":false,"properties":{"c":{}}}}}`,
		`{"type":"object","additionalProperties":false,"properties":{"a":{},"b":{},"e":{},"x":{},"u":{}}}`,
		`{"type":"object","properties":{"a":{"type":["null","boolean"]},"n":{"type":"string","pattern":"^[a-z]"}}}`,
		`{"type":"object","properties":{"a":{"format":"date-time"},"name":{"format":"email"}}}`,
		`{"type":"object","properties":{"n":{"type":"integer","minimum":0}},"additionalProperties":{"type":["string","integer"]}}`,
		`{"$defs":{"o":{"type":"object","properties":{"c":{"type":"integer"},"a":{"$ref":"#/$defs/o"}}}},"$ref":"#/$defs/o"}`}
)

func TestFusedRandomScalars(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds")
	}
	r := rand.New(rand.NewSource(1))
	fill := func(skeleton string) string {
		parts := strings.Split(skeleton, "S")
		var b strings.Builder
		for i, p := range parts {
			if b.WriteString(p); i < len(parts)-1 {
				b.WriteString(randomScalars[r.Intn(len(randomScalars))])
			}
		}
		return b.String()
	}
	taken, failed := 0, map[string]bool{}
	for _, expr := range randomTransforms {
		for _, doc := range randomSchemas {
			o := fusedOptions(t, expr, doc)
			for _, maxValues := range []int{0, 7} {
				fused, tree := fusedShapers(o, maxValues)
				for range 25 {
					rec := fill(randomSkeletons[r.Intn(len(randomSkeletons))])
					for range 3 {
						took, d := shapeDiff(fused, tree, []byte(rec))
						if took {
							taken++
						}
						if d != "" && !failed[expr] { // one failure a transform
							failed[expr] = true
							t.Errorf("%s with schema %s, cap %d:\n%s", expr, doc, maxValues, d)
						}
					}
				}
			}
		}
	}
	if taken == 0 {
		t.Error("the fused path took no record")
	}
}

// FuzzFusedScalars is FuzzFused where it matters most: a plan learnt from one record is applied to another of its
// key sequence with other scalars. The fuzzed record is written again compact, its keys as they are, its scalars
// drawn from randomScalars by seed: the Shaper learns from the first such record, then shapes the others.
func FuzzFusedScalars(f *testing.F) {
	for i, s := range randomSkeletons {
		f.Add(strings.ReplaceAll(s, "S", "1"), uint16(i*7), int64(i))
	}
	f.Add(`{"a":1,"x":1}`, uint16(2), int64(3)) // del(.a, .a.b) without a schema, learnt from {"a":null,…}
	var options []Options
	for _, doc := range randomSchemas {
		for _, expr := range randomTransforms {
			options = append(options, fusedOptions(f, expr, doc))
		}
	}
	f.Fuzz(func(t *testing.T, record string, which uint16, seed int64) {
		v, err := jsonvalue.Decode([]byte(record))
		if err != nil || v.Kind() != jsonvalue.Object {
			return
		}
		r := rand.New(rand.NewSource(seed))
		var write func(b []byte, v jsonvalue.Value) []byte
		write = func(b []byte, v jsonvalue.Value) []byte {
			members := jsonvalue.Members(v)
			switch v.Kind() {
			case jsonvalue.Object:
				b = append(b, '{')
				for i := 0; i < len(members); i += 2 {
					if i > 0 {
						b = append(b, ',')
					}
					key, _ := json.Marshal(members[i].Text()) // valid JSON, whatever the key holds
					b = write(append(append(b, key...), ':'), members[i+1])
				}
				return append(b, '}')
			case jsonvalue.Array:
				b = append(b, '[')
				for i, e := range members {
					if i > 0 {
						b = append(b, ',')
					}
					b = write(b, e)
				}
				return append(b, ']')
			}
			return append(b, randomScalars[r.Intn(len(randomScalars))]...)
		}
		fused, tree := fusedShapers(options[int(which)%len(options)], []int{0, 7, 20}[int(which)%3])
		first := write(nil, v)
		for range 2 {
			shapeDiff(fused, tree, first)
		}
		for range 8 {
			if _, d := shapeDiff(fused, tree, write(nil, v)); d != "" {
				t.Fatalf("learnt from %s\n%s", first, d)
			}
		}
	})
}
