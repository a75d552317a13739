package kinesisevent

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// awsExampleEvent is the example Kinesis event from the Lambda developer guide ("Using Lambda with Kinesis").
const awsExampleEvent = `{
    "Records": [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "1",
                "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
                "approximateArrivalTimestamp": 1545084650.987
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
            "awsRegion": "us-east-2",
            "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"
        },
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "1",
                "sequenceNumber": "49590338271490256608559692540925702759324208523137515618",
                "data": "VGhpcyBpcyBvbmx5IGEgdGVzdC4=",
                "approximateArrivalTimestamp": 1545084711.166
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": "shardId-000000000006:49590338271490256608559692540925702759324208523137515618",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
            "awsRegion": "us-east-2",
            "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"
        }
    ]
}`

var exampleSource = Source{
	StreamARN:         "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
	Region:            "us-east-2",
	InvokeIdentityARN: "arn:aws:iam::123456789012:role/lambda-role",
}

var exampleRecords = []Record{
	{ShardID: "shardId-000000000006", SequenceNumber: "49590338271490256608559692538361571095921575989136588898",
		PartitionKey: "1", Data: []byte("Hello, this is a test."), Arrival: time.UnixMilli(1545084650987)},
	{ShardID: "shardId-000000000006", SequenceNumber: "49590338271490256608559692540925702759324208523137515618",
		PartitionKey: "1", Data: []byte("This is only a test."), Arrival: time.UnixMilli(1545084711166)},
}

func encodeAll(t *testing.T, recs []Record) [][]byte {
	t.Helper()
	var out [][]byte
	for _, r := range recs {
		ev, err := exampleSource.EncodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestEncodeIsAWSExampleEvent(t *testing.T) {
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(awsExampleEvent)); err != nil {
		t.Fatal(err)
	}
	got, err := Encode(exampleSource, exampleRecords)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("event differs from AWS's example event:\n got %s\nwant %s", got, want.Bytes())
	}
	if p := Payload(encodeAll(t, exampleRecords)); !bytes.Equal(p, got) {
		t.Errorf("Payload(EncodeRecord...) = %s, Encode = %s", p, got)
	}
}

// The handler decodes events with aws-lambda-go; the payload must decode to the same values.
func TestEncodeDecodesWithAWSLambdaGo(t *testing.T) {
	payload, err := Encode(exampleSource, exampleRecords)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 2 {
		t.Fatalf("%d records, want 2", len(ev.Records))
	}
	r := ev.Records[1]
	if string(r.Kinesis.Data) != "This is only a test." || r.Kinesis.PartitionKey != "1" ||
		r.Kinesis.SequenceNumber != "49590338271490256608559692540925702759324208523137515618" ||
		r.EventID != "shardId-000000000006:49590338271490256608559692540925702759324208523137515618" ||
		r.EventSource != "aws:kinesis" || r.EventName != "aws:kinesis:record" || r.EventVersion != "1.0" ||
		r.AwsRegion != "us-east-2" || r.Kinesis.KinesisSchemaVersion != "1.0" ||
		r.EventSourceArn != exampleSource.StreamARN || r.InvokeIdentityArn != exampleSource.InvokeIdentityARN {
		t.Errorf("decoded record = %+v", r)
	}
	// aws-lambda-go decodes the float seconds with float64 arithmetic and may land a few nanoseconds early.
	want := time.UnixMilli(1545084711166)
	if d := want.Sub(r.Kinesis.ApproximateArrivalTimestamp.Time); d < 0 || d >= time.Microsecond {
		t.Errorf("arrival = %v, want %v", r.Kinesis.ApproximateArrivalTimestamp.Time, want)
	}
}

func TestEpochSecondsKeepsThreeDecimals(t *testing.T) {
	for ms, want := range map[int64]string{
		1607497475000: "1607497475.000",
		1545084650987: "1545084650.987",
		1545084650050: "1545084650.050",
		1:             "0.001",
		-1:            "-1.999",
	} {
		b, err := json.Marshal(epochSeconds(time.UnixMilli(ms)))
		if err != nil || string(b) != want {
			t.Errorf("epochSeconds(%d ms) = %s, %v; want %s", ms, b, err, want)
		}
	}
}

func TestEncodeRecordDoesNotEscapeHTMLAndSendsEmptyData(t *testing.T) {
	src := Source{StreamARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", Region: "eu-west-1", InvokeIdentityARN: "role"}
	ev, err := src.EncodeRecord(Record{ShardID: "shardId-000000000000", SequenceNumber: "1", PartitionKey: "<a&b>", Arrival: time.UnixMilli(0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ev), `"partitionKey":"<a&b>"`) || !strings.Contains(string(ev), `"data":""`) {
		t.Errorf("event = %s", ev)
	}
}

func TestEncodeRecordKeepsEncryptionType(t *testing.T) {
	ev, err := exampleSource.EncodeRecord(Record{ShardID: "shardId-000000000000", SequenceNumber: "1", EncryptionType: "KMS"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ev), `"encryptionType":"KMS"`) {
		t.Errorf("event = %s", ev)
	}
}

func TestPayloadSizeIsExact(t *testing.T) {
	encoded := encodeAll(t, exampleRecords)
	for n := 0; n <= len(encoded); n++ {
		sum := 0
		for _, r := range encoded[:n] {
			sum += len(r)
		}
		if got, want := PayloadSize(n, sum), len(Payload(encoded[:n])); got != want {
			t.Errorf("PayloadSize(%d records) = %d, payload is %d bytes", n, got, want)
		}
	}
}
