package layout

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// footerOf decodes the footer of a Parquet file.
func footerOf(t *testing.T, file []byte) format.FileMetaData {
	t.Helper()
	size := int(binary.LittleEndian.Uint32(file[len(file)-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), file[len(file)-8-size:len(file)-8], &md); err != nil {
		t.Fatal(err)
	}
	return md
}

// TestDropLongBoundsKeepsTheRestOfTheFooter: the footer written again differs from parquet-go's in the long bounds
// only (a field the rewrite lost or changed would make readers misread the file), the file before the footer is
// the same bytes, and a file without long bounds is left as it was.
func TestDropLongBoundsKeepsTheRestOfTheFooter(t *testing.T) {
	p := newParquet(t, "zstd")
	long := strings.Repeat("x", 2000)
	rows := rowsOf(t, p, longRecord(long), `{"order_id": "o-2", "created_at": "2026-01-02T03:04:05Z", "amount": 1.5, "customer": {"id": "c-2", "tags": ["a"]}}`)
	config, err := p.config(p.plainColumns(rows))
	if err != nil {
		t.Fatal(err)
	}
	var written bytes.Buffer
	written.WriteString("before") // a file need not start the buffer
	w := parquet.NewWriter(&written, config)
	if err := writeColumns(w, rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	original := bytes.Clone(written.Bytes()[len("before"):])
	if err := dropLongBounds(&written, len("before")); err != nil {
		t.Fatal(err)
	}
	got := written.Bytes()[len("before"):]
	want := footerOf(t, original)
	dropped := 0
	for i := range want.RowGroups[0].Columns {
		s := &want.RowGroups[0].Columns[i].MetaData.Statistics
		if len(s.MaxValue) > maxBoundBytes || len(s.MinValue) > maxBoundBytes {
			s.Min, s.Max, s.MinValue, s.MaxValue = nil, nil, nil, nil
			dropped++
		}
	}
	if dropped == 0 {
		t.Fatal("no column has a long bound: the test tests nothing")
	}
	if footer := footerOf(t, got); !reflect.DeepEqual(footer, want) {
		t.Errorf("the footer written again differs in more than the %d long bounds:\n%+v\nwant\n%+v", dropped, footer, want)
	}
	originalSize := int(binary.LittleEndian.Uint32(original[len(original)-8:]))
	if body := len(original) - 8 - originalSize; !bytes.Equal(got[:body], original[:body]) {
		t.Error("the file before the footer changed")
	}
	if len(got) >= len(original) {
		t.Errorf("the file is %d bytes, %d before: the long bounds are still there", len(got), len(original))
	}

	short := encodeRecords(t, p, `{"order_id": "o-3"}`)
	again := bytes.Clone(short)
	buf := bytes.NewBuffer(again)
	if err := dropLongBounds(buf, 0); err != nil || !bytes.Equal(buf.Bytes(), short) {
		t.Errorf("a file without long bounds changed (err %v)", err)
	}
	if err := dropLongBounds(bytes.NewBufferString("not a parquet file"), 0); err == nil {
		t.Error("a buffer that is no Parquet file: no error")
	}
}
