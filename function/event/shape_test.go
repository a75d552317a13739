package event

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// lambdaRecord is record i of a stream as Lambda writes it in an event.
func lambdaRecord(t testing.TB, i int) string {
	t.Helper()
	b, err := source.EncodeRecord(kinesisevent.Record{ShardID: "shardId-000000000003",
		SequenceNumber: fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", i),
		PartitionKey:   fmt.Sprintf("user-%d", i), Data: []byte(fmt.Sprintf(`{"n":%d}`, i)),
		Arrival: time.UnixMilli(1764000000000 + int64(i)*7)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shapedSeeds are pairs of records: a record as Lambda writes it, and one that differs from it in its five values
// of its own (which the second may still be read by the first's shape with), or in anything else.
func shapedSeeds(t testing.TB) [][2]string {
	first, second := lambdaRecord(t, 1), lambdaRecord(t, 22)
	seeds := [][2]string{{first, second}, {first, first}}
	for _, change := range [][2]string{
		{`"partitionKey":"user-22"`, `"partitionKey":"user-\u0032"`},
		{`"partitionKey":"user-22"`, `"partitionKey":"Zoë"`},
		{`"partitionKey":"user-22"`, `"partitionKey":null`},
		{`"partitionKey":"user-22"`, `"partitionKey":"user-22","partitionKey":"x"`},
		{`"partitionKey":"user-22"`, `"PartitionKey":"user-22"`},
		{`"sequenceNumber":"4959`, `"sequenceNumber":"x4959`},
		{`"sequenceNumber":"4959`, `"sequenceNumber": "4959`},
		{`"eventID":"shardId`, `"eventID":"\u0073hardId`},
		{`"eventID":"shardId`, `"eventID":1,"x":"shardId`},
		{`"eventID":"shardId-000000000003:`, `"eventID":"shardId-000000000004:`},
		{`"eventID":"shardId-000000000003:4959`, `"eventID":"shardId-000000000003:5959`},
		{`"eventID":"shardId-000000000003:`, `"eventID":"shardId-000000000003:1`},
		{`"sequenceNumber":"4959`, `"sequenceNumber":"`},
		{`"data":"eyJ`, `"data":"eyJ\n`},
		{`"data":"eyJ`, `"data":"eyJ==`},
		{`"data":"eyJ`, `"data":null,"x":"eyJ`},
		{`"approximateArrivalTimestamp":1764000000.154`, `"approximateArrivalTimestamp":1764000000`},
		{`"approximateArrivalTimestamp":1764000000.154`, `"approximateArrivalTimestamp":1.764e9`},
		{`"approximateArrivalTimestamp":1764000000.154`, `"approximateArrivalTimestamp":null`},
		{`"approximateArrivalTimestamp":1764000000.154`, `"approximateArrivalTimestamp":"1"`},
		{`"eventSource":"aws:kinesis"`, `"eventSource":"aws:kinesis2"`},
		{`"eventSource":"aws:kinesis"`, `"eventSource":"aws:kinesis","kinesis":{"partitionKey":"y"}`},
		{`"awsRegion":"us-east-1"`, `"awsRegion":"us-east-1","extra":{"a":[1,"b"]}`},
		{`}`, ` }`},
	} {
		if !strings.Contains(second, change[0]) {
			t.Fatalf("no %s in %s", change[0], second)
		}
		changed := strings.Replace(second, change[0], change[1], 1)
		seeds = append(seeds, [2]string{first, changed}, [2]string{changed, second})
	}
	return seeds
}

// TestShapedRecords holds records read by the shape of the one before to encoding/json, and checks that the
// records of an event as Lambda writes it are read so.
func TestShapedRecords(t *testing.T) {
	for _, s := range shapedSeeds(t) {
		same(t, events1(s[0], s[1], s[1], s[0]))
	}
	var recs []string
	for i := range 100 {
		recs = append(recs, lambdaRecord(t, i*37))
	}
	ev := events1(recs...)
	same(t, ev)
	var d Decoder
	if _, err := d.Decode(ev); err != nil || d.shaped != 99 {
		t.Fatalf("%d of 100 records read by their shape (%v); want all but the first", d.shaped, err)
	}
}

// FuzzShapedRecords holds the decoder to encoding/json on events of two records, the second repeated: the second
// may be read by the first's shape, the third by the second's.
func FuzzShapedRecords(f *testing.F) {
	for _, s := range shapedSeeds(f) {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, first, second string) {
		same(t, events1(first, second, second))
	})
}
