package budget

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

func TestEveryMemorySizeDecidesItsFirstRecord(t *testing.T) {
	for mb := 128; mb <= 10240; mb++ { // every size Lambda allows
		b := For(mb)
		switch {
		case b.GoMemoryLimit > int64(mb)*MiB/2:
			t.Fatalf("%d MB: Go memory limit %d is over half the memory", mb, b.GoMemoryLimit)
		case b.Invocation > b.GoMemoryLimit/4 && b.Invocation > 2*decode.MaxSubRecords*decode.ItemCost:
			t.Fatalf("%d MB: invocation budget %d is over a quarter of the limit", mb, b.Invocation)
		case b.Record+decode.MaxSubRecords*decode.ItemCost > b.Invocation:
			// The first record of an invocation must fit a fresh budget, or the shard would stop on it.
			t.Fatalf("%d MB: the largest record (%d) and aggregate do not fit the budget %d", mb, b.Record, b.Invocation)
		case b.Record > decode.MaxDecompressed || b.Record <= 0:
			t.Fatalf("%d MB: record limit %d", mb, b.Record)
		case 2*int64(b.Values*jsonvalue.ValueSize) > b.Invocation/2 || b.Values < 10_000:
			// A record's tree and the decoder's stack stay within half the budget, and admit ordinary records.
			t.Fatalf("%d MB: value limit %d", mb, b.Values)
		case int64(b.Library)*LibraryValueCost > b.Invocation/2 || b.Library > b.Values || b.Library < 4_000:
			t.Fatalf("%d MB: the schema library's value limit %d", mb, b.Library)
		}
	}
	if For(0) != For(DefaultMemoryMB) {
		t.Fatal("no memory size should mean the default's budget")
	}
}

func ExampleFor() {
	for _, mb := range []int{128, 512, 1769, 10240} {
		b := For(mb)
		fmt.Printf("%5d MB: Go memory limit %4d MiB, invocation %4d MiB, record %2d MiB, values %8d, for the library %6d\n",
			mb, b.GoMemoryLimit/MiB, b.Invocation/MiB, b.Record/MiB, b.Values, b.Library)
	}
	// Output:
	//   128 MB: Go memory limit   32 MiB, invocation    9 MiB, record  4 MiB, values    80000, for the library   5000
	//   512 MB: Go memory limit  224 MiB, invocation   56 MiB, record 28 MiB, values   458752, for the library  28672
	//  1769 MB: Go memory limit  852 MiB, invocation  213 MiB, record 64 MiB, values  1745920, for the library 109120
	// 10240 MB: Go memory limit 5088 MiB, invocation 1272 MiB, record 64 MiB, values 10420224, for the library 651264
}

// TestReadmeLimits holds the README's table of limits to the code, at the module's default 512 MB.
func TestReadmeLimits(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	b := For(512)
	want := map[string]string{
		"Go memory limit":                         fmt.Sprintf("%d MiB", b.GoMemoryLimit/MiB),
		"invocation budget":                       fmt.Sprintf("%d MiB", b.Invocation/MiB),
		"record limit":                            fmt.Sprintf("%d MiB", b.Record/MiB),
		"collection after an invocation":          fmt.Sprintf("%d MiB", b.CollectAfter/MiB),
		"JSON values in one record":               thousands(b.Values),
		"JSON values for the schema library":      thousands(b.Library),
		"schema evaluations, schemas that branch": thousands(schema.EvaluationsPerValue * b.Library),
		"user records in a KPL aggregate":         thousands(decode.MaxSubRecords),
		"partition key in a KPL aggregate":        thousands(decode.MaxPartitionKey) + " bytes",
	}
	for name, value := range want {
		var cells []string
		for _, line := range strings.Split(string(readme), "\n") {
			if strings.HasPrefix(line, "| "+name+" |") {
				cells = strings.Split(line, " | ")
			}
		}
		if len(cells) < 4 || cells[2] != value {
			t.Errorf("README.md limits table: the row %q should give %q at 512 MB (got %q)", name, value, cells)
		}
	}
	if !strings.Contains(string(readme), fmt.Sprintf("plus %d bytes per user record", decode.ItemCost)) {
		t.Errorf("README.md limits table does not give the cost of a user record, %d bytes", decode.ItemCost)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
