package shape

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// tableMutations are changes to a bench record that the schema accepts and the JSON Lines table cannot read as it
// validated them (schema.ForJSONLines), with the reason that the bench transform's output gets.
var tableMutations = []struct{ old, new, reason string }{
	{`"duration_ms":`, `"Duration_ms":1,"duration_ms":`, "schema: /Duration_ms: the records table reads this key as its column duration_ms"},
	{`"user":{`, `"user":{"ID":1,`, "schema: /user/ID: the records table reads this key as its column id"},
	{`"user":{`, `"_col0":1,"user":{`, "schema: /_col0: the records table reads a key _col<N>"},
	{`"page":{`, `"page":{"_col1":"x",`, "schema: /page/_col1: the records table reads a key _col<N>"},
	{`"duration_ms":`, `"duration_ms":18446744073709551615,"a":`, "schema: /duration_ms: the records table's bigint column"},
	{`"user":{"id":`, `"user":{"id":1e19,"x":`, "schema: /user/id: the records table's bigint column"},
	{`"event_time":"[^"]*"`, `"event_time":"2016-12-31T23:59:60Z"`, "schema: /event_time: the records table's timestamp column"},
	{`"event_time":"[^"]*"`, `"event_time":"2026-11-25T10:59:58.1234567891Z"`, "schema: /event_time: the records table's timestamp column"},
}

// TestFusedAsTheTreePathForJSONLines: with the JSON Lines table's rules, the fused path still takes the bench
// records, and never one the table cannot read: with every transform of the fused class, both paths give the same
// outcome, and with the bench transform (whose output keeps each mutation) the record is invalid, with a reason
// that names the location and the rule.
func TestFusedAsTheTreePathForJSONLines(t *testing.T) {
	w, err := benchdata.Clickstream()
	if err != nil {
		t.Fatal(err)
	}
	for ti, expr := range fusedTransforms {
		o := fusedOptions(t, expr, benchdata.Schema)
		o.Schema = o.Schema.ForJSONLines(nil)
		fused, tree := fusedShapers(o, 0)
		for _, base := range w.Data[:4] {
			for range 3 { // a plan of the bench records' key sequence
				shapeBoth(t, fused, tree, base)
			}
			for _, m := range tableMutations {
				data := []byte(regexp.MustCompile(m.old).ReplaceAllLiteralString(string(base), m.new))
				taken := false
				for range 3 { // the third time, a plan of its own key sequence, if any
					taken = shapeBoth(t, fused, tree, data)
				}
				if ti != 0 { // its output may not have the mutation (del(.user)): the same outcome is what counts
					continue
				}
				if taken {
					t.Errorf("the fused path took %s, which the table cannot read", data)
				}
				if _, keep, err := tree.Shape(context.Background(), data); keep || !strings.HasPrefix(fmt.Sprint(err), m.reason) {
					t.Errorf("%s: keep %v, reason %v; want %q", data, keep, err, m.reason)
				}
			}
		}
		if ti == 0 && fused.scratch.Fused == 0 {
			t.Errorf("with the table's rules, the fused path took no bench record")
		}
	}
}
