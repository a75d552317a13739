package kinesisevent

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeReadsAWSExampleEvent(t *testing.T) {
	src, recs, err := Decode([]byte(awsExampleEvent))
	if err != nil {
		t.Fatal(err)
	}
	if src != exampleSource {
		t.Errorf("source %+v, want %+v", src, exampleSource)
	}
	if !reflect.DeepEqual(recs, exampleRecords) {
		t.Errorf("records %+v\nwant    %+v", recs, exampleRecords)
	}
}

// Decoding and encoding again gives the event back byte for byte, for arrival times at every millisecond (a
// float's nearest value to .001 s steps is never taken for the millisecond below it).
func TestDecodeThenEncodeIsTheSameEvent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []Record
	for i := range 2000 {
		recs = append(recs, Record{ShardID: "shardId-000000000003", SequenceNumber: strings.Repeat("4", 40) + string(rune('0'+i%10)),
			PartitionKey: "pk", Data: []byte{byte(i), '<', 0xff}, EncryptionType: []string{"", "KMS"}[i%2],
			Arrival: base.Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))).Truncate(time.Millisecond))})
	}
	recs[0].Data = nil // "" in the event
	event, err := Encode(exampleSource, recs)
	if err != nil {
		t.Fatal(err)
	}
	src, back, err := Decode(event)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Encode(src, back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, event) {
		t.Fatalf("re-encoded event differs")
	}
	for i := range recs {
		if !back[i].Arrival.Equal(recs[i].Arrival) {
			t.Fatalf("record %d arrived %v, decoded %v", i, recs[i].Arrival, back[i].Arrival)
		}
	}
}

func TestDecodeRejectsWhatIsNotAKinesisEvent(t *testing.T) {
	var ev map[string][]map[string]any
	if err := json.Unmarshal([]byte(awsExampleEvent), &ev); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(r []map[string]any)) string {
		var c map[string][]map[string]any
		b, _ := json.Marshal(ev)
		json.Unmarshal(b, &c)
		f(c["Records"])
		out, _ := json.Marshal(c)
		return string(out)
	}
	for want, event := range map[string]string{
		"unexpected end of JSON": `{"Records":`,
		"no Records":             `{"Records":[]}`,
		"is not aws:kinesis":     edit(func(r []map[string]any) { r[1]["eventSource"] = "aws:dynamodb" }),
		"record 1 is from":       edit(func(r []map[string]any) { r[1]["eventSourceARN"] = "arn:aws:kinesis:us-east-2:1:stream/other" }),
		"has no sequenceNumber":  edit(func(r []map[string]any) { delete(r[0]["kinesis"].(map[string]any), "sequenceNumber") }),
		"is not <shardId>:":      edit(func(r []map[string]any) { r[0]["eventID"] = "shardId-000000000006" }),
		"approximateArrival":     edit(func(r []map[string]any) { delete(r[0]["kinesis"].(map[string]any), "approximateArrivalTimestamp") }),
		"illegal base64":         edit(func(r []map[string]any) { r[0]["kinesis"].(map[string]any)["data"] = "not base64!" }),
		"invalid number literal": edit(func(r []map[string]any) { r[0]["kinesis"].(map[string]any)["approximateArrivalTimestamp"] = "soon" }),
	} {
		if _, _, err := Decode([]byte(event)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
}
