package layout

import (
	"bytes"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestParquetColumnIndexBoundsHoldTheValues (review 20): a column whose chunk bounds are skipped (_extra, and a
// string column with a value over 1 KiB in the file: SkipPageBounds) still gets a column index (the page index that
// Trino, Spark/parquet-mr and other engines prune pages with), and parquet-go fills it with an empty min and max for
// each non-null page. A reader that filters by it sees order_id's page as ["", ""] and skips it for
// WHERE order_id = 'o-2': the query returns no row although the file holds one. Each non-null page's bounds in the
// column index must hold the page's values (or the column must have no column index).
func TestParquetColumnIndexBoundsHoldTheValues(t *testing.T) {
	p := newParquet(t, "none")
	long := strings.Repeat("x", 2000)
	body := encodeRecords(t, p, longRecord(long), `{"order_id": "o-2", "customer": {"id": "c-2"}, "blob": "b"}`)
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	indexes := f.ColumnIndexes()
	for _, column := range []string{"order_id", "_extra", "customer._extra", "customer.id"} {
		leaf, _ := p.Schema().Lookup(strings.Split(column, ".")...)
		if f.Metadata().RowGroups[0].Columns[leaf.ColumnIndex].ColumnIndexOffset == 0 {
			continue // no column index: nothing to mislead a reader
		}
		ci := indexes[leaf.ColumnIndex]
		if len(ci.NullPages) != 1 || ci.NullPages[0] {
			t.Fatalf("%s: want one non-null page, got %v", column, ci.NullPages)
		}
		chunk := f.RowGroups()[0].ColumnChunks()[leaf.ColumnIndex]
		pages := chunk.Pages()
		page, err := pages.ReadPage()
		if err != nil {
			t.Fatal(err)
		}
		values := make([]parquet.Value, page.NumValues())
		n, _ := page.Values().ReadValues(values)
		for _, v := range values[:n] {
			if v.IsNull() {
				continue
			}
			if b := v.ByteArray(); bytes.Compare(b, ci.MinValues[0]) < 0 || bytes.Compare(b, ci.MaxValues[0]) > 0 {
				t.Errorf("%s: the column index gives the page bounds [%q, %q], which exclude its value %.20q…: "+
					"engines that prune by the column index skip the page", column, ci.MinValues[0], ci.MaxValues[0], b)
				break
			}
		}
		pages.Close()
	}
}
