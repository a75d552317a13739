package layout

import "testing"

// TestParquetUnpairedSurrogates: a string with an unpaired surrogate escape (\ud800, valid JSON but not Unicode
// text) quarantines its record when it is a string column's value, which UTF-8 cannot hold, rather than being
// written as U+FFFD; as a member of _extra, key or value, it is kept as sent, which JSON can hold. The fast path
// and shred agree.
func TestParquetUnpairedSurrogates(t *testing.T) {
	p := newParquet(t, "none")
	for _, c := range []struct{ doc, err string }{
		{`{"order_id": "o-\ud800"}`, `parquet: /order_id: a lone surrogate (\ud800), which a Parquet string (UTF-8) cannot hold`},
		{`{"customer": {"id": "\uDC00\uD800"}}`, `parquet: /customer/id: a lone surrogate (\udc00), which a Parquet string (UTF-8) cannot hold`},
		{`{"customer": {"tags": ["a", "b\udfff"]}}`, `parquet: /customer/tags/1: a lone surrogate (\udfff), which a Parquet string (UTF-8) cannot hold`},
		{`{"lines": [{"sku": "\ud83d"}]}`, `parquet: /lines/0/sku: a lone surrogate (\ud83d), which a Parquet string (UTF-8) cannot hold`},
		{`{"order_id": "\ud83d\ude80", "k\ud800": ["\udc00"], "customer": {"n": {"\udbff": 1}}}`, ``}, // a pair; _extra
	} {
		record := decodeJSON(t, c.doc)
		checkFastPath(t, p, record, c.doc)
		if _, err := p.Row(record); (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("%s: error %v, want %q", c.doc, err, c.err)
		}
	}
	row := readBack(t, encodeRecords(t, p, `{"order_id": "\ud83d\ude80", "k\ud800": ["\udc00"], "customer": {"n": {"\udbff": 1}}}`), p)[0]
	if got, want := row["_extra"], `{"k\ud800":["\udc00"]}`; got != want {
		t.Errorf("_extra %v, want %s", got, want)
	}
	if got, want := row["customer"].(map[string]any)["_extra"], `{"n":{"\udbff":1}}`; got != want {
		t.Errorf("customer._extra %v, want %s", got, want)
	}
	if got, want := row["order_id"], "🚀"; got != want {
		t.Errorf("order_id %v, want %s", got, want)
	}
}
