package layout

import (
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// TestDistinctPartitionValuesStayApart (review 12): PARTITION_KEYS exist to keep a tenant's (a customer's, a
// country's) records apart: a query `WHERE tenant = '…'` reads that partition's objects and nothing else, and
// people grant or delete by prefix. PartitionValue maps every character outside A-Z a-z 0-9 _ . - to _ and cuts at
// 64 bytes, so different values share a partition: their records are mixed in the same objects, every query of one
// silently returns the other's rows, and no query can tell them apart (the partition column shows the same text;
// in Parquet the field is a column only if the schema declares it outside the partition). Non-Latin names collide
// wholesale: every two-character Japanese name is "__". A string "__null__" shares the partition of records
// that lack the field. Each pair here must land in different partitions.
func TestDistinctPartitionValuesStayApart(t *testing.T) {
	long := strings.Repeat("x", MaxValueBytes)
	pairs := [][2]string{
		{`"acme/eu"`, `"acme_eu"`},
		{`"Acme Corp"`, `"Acme_Corp"`},
		{`"東京"`, `"大阪"`},
		{`"José"`, `"Josè"`},
		{`"` + long + `-tenant-a"`, `"` + long + `-tenant-b"`},
		{`"__null__"`, ``}, // "" stands for a missing field
	}
	for _, p := range pairs {
		a, b := value(t, p[0]), value(t, p[1])
		if a == b {
			t.Errorf("%s and %s are both written under %q: their records share objects and every query of one returns the other's",
				p[0], orMissing(p[1]), a)
		}
	}
}

func value(t *testing.T, json string) string {
	t.Helper()
	var v jsonvalue.Value
	if json != "" {
		v = decodeJSON(t, json)
	}
	return PartitionValue(v, json != "")
}

func orMissing(json string) string {
	if json == "" {
		return "a missing field"
	}
	return json
}

// TestEqualNumbersShareAPartition (review 12): the reverse of the test above. A number's partition value is its JSON
// text, so one tenant id sent as 42 by one producer and as 42.0 (Python's float, valid for "type": "integer") or
// 4.2e1 by another lands in three partitions: `WHERE tenant = '42'` misses two thirds of that tenant's rows and a
// GROUP BY tenant shows it three times, while the same field in a Parquet column is 42 in every row.
func TestEqualNumbersShareAPartition(t *testing.T) {
	want := value(t, `42`)
	for _, j := range []string{`42.0`, `4.2e1`, `42.000`, `420e-1`} {
		if got := value(t, j); got != want {
			t.Errorf("%s is written under %q, 42 under %q: one value, two partitions", j, got, want)
		}
	}
}
