package process

import "testing"

// TestParquetQuarantinesUnpairedSurrogates: with FORMAT=parquet, a string column's value with an unpaired surrogate
// escape quarantines its record, with a reason that names the field and the escape, and the column as its rule.
func TestParquetQuarantinesUnpairedSurrogates(t *testing.T) {
	const doc = `{"type": "object", "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}}`
	q := quarantineRules(t, "parquet", doc, "", []byte(`{"name": "\ud800"}`), []byte(`{"tags": ["a", "x\uDC00"]}`))
	for i, want := range []struct{ reason, rule string }{
		{`parquet: /name: a lone surrogate (\ud800), which a Parquet string (UTF-8) cannot hold`, "parquet:/name"},
		{`parquet: /tags/1: a lone surrogate (\udc00), which a Parquet string (UTF-8) cannot hold`, "parquet:/tags/*"},
	} {
		if q[i].Reason != want.reason || q[i].Rule != want.rule {
			t.Errorf("record %d: reason %q, rule %q; want %q, %q", i, q[i].Reason, q[i].Rule, want.reason, want.rule)
		}
	}
}
