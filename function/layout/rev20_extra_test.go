package layout

import (
	"strings"
	"testing"
)

// TestParquetExtraKeepsEscapedSurrogates (review 20): _extra is to keep what the producer sent losslessly (issue 8),
// and JSON Lines without a transform keep a record's text as sent. A string member with an unpaired UTF-16 escape
// (\ud800, valid JSON text: RFC 8259 §8.2 allows it) comes out of _extra as U+FFFD, the escape gone, in the root's
// _extra and in a struct's; a JSON reader of the column cannot get the producer's value back.
func TestParquetExtraKeepsEscapedSurrogates(t *testing.T) {
	p := newParquet(t, "none")
	body := encodeRecords(t, p, `{"x":"\ud800","customer":{"id":"c","q":"\udc00"}}`)
	row := readBack(t, body, p)[0]
	root, _ := row["_extra"].(string)
	nested, _ := row["customer"].(map[string]any)["_extra"].(string)
	if !strings.Contains(strings.ToLower(root), `\ud800`) {
		t.Errorf("root _extra %q lost the escape \\ud800", root)
	}
	if !strings.Contains(strings.ToLower(nested), `\udc00`) {
		t.Errorf("customer._extra %q lost the escape \\udc00", nested)
	}
}
