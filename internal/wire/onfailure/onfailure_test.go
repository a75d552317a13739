package onfailure

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestTimesHaveMillisecondsAsAWSWritesThem(t *testing.T) {
	whole := time.Date(2024, 3, 5, 7, 12, 30, 0, time.FixedZone("CET", 3600))
	r := Record{Version: "1.0", Timestamp: whole, KinesisBatchInfo: &KinesisBatchInfo{
		ShardID: "shardId-000000000001", StartSequenceNumber: "1", EndSequenceNumber: "2", StreamARN: "arn:aws:kinesis:us-east-1:1:stream/s",
		ApproximateArrivalOfFirstRecord: whole, ApproximateArrivalOfLastRecord: whole.Add(21 * time.Millisecond),
	}}
	body, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"timestamp":"2024-03-05T06:12:30.000Z"`, `"approximateArrivalOfFirstRecord":"2024-03-05T06:12:30.000Z"`,
		`"approximateArrivalOfLastRecord":"2024-03-05T06:12:30.021Z"`, `"shardId":"shardId-000000000001"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("%s lacks %s", body, want)
		}
	}
	back, err := Parse(body)
	if err != nil || !back.Timestamp.Equal(whole) || !back.KinesisBatchInfo.ApproximateArrivalOfLastRecord.Equal(whole.Add(21*time.Millisecond)) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

const event = `{"Records":[{"kinesis":{"sequenceNumber":"1","data":"e30="},"eventSource":"aws:kinesis"}]}`

// An S3 destination's record is the SQS one plus the event in payload, as a string holding its JSON (AWS's
// example: "payload": "<Whole Event>"); LocalStack writes the event object there instead. Both read back.
func TestPayloadCarriesTheEvent(t *testing.T) {
	r := Record{Version: "1.0", Timestamp: time.Now(), KinesisBatchInfo: &KinesisBatchInfo{ShardID: "shardId-000000000001",
		StartSequenceNumber: "1", EndSequenceNumber: "1", StreamARN: "arn:aws:kinesis:us-east-1:1:stream/s"}}
	sqsBody, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sqsBody), "payload") {
		t.Errorf("an SQS record carries a payload: %s", sqsBody)
	}
	if _, err := r.Event(); err != ErrNoPayload {
		t.Errorf("Event() of an SQS record: %v, want ErrNoPayload", err)
	}

	r.Payload = StringPayload([]byte(event))
	s3Body, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var sqsFields, s3Fields map[string]json.RawMessage
	if json.Unmarshal(sqsBody, &sqsFields) != nil || json.Unmarshal(s3Body, &s3Fields) != nil {
		t.Fatal("records are not JSON objects")
	}
	if want := `"{\"Records\":[{\"kinesis\"`; !strings.HasPrefix(string(s3Fields["payload"]), want) {
		t.Errorf("payload %s, want a string holding the event, %s…", s3Fields["payload"], want)
	}
	delete(s3Fields, "payload")
	if !maps.EqualFunc(s3Fields, sqsFields, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
		t.Errorf("S3 record %s\nis not the SQS record %s plus a payload", s3Body, sqsBody)
	}
	localstack := strings.Replace(string(sqsBody), `"KinesisBatchInfo"`, `"payload":`+event+`,"KinesisBatchInfo"`, 1)
	for name, body := range map[string]string{"AWS (string)": string(s3Body), "LocalStack (object)": localstack} {
		back, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ev, err := back.Event()
		if err != nil || string(ev) != event {
			t.Errorf("%s: Event() = %s, %v; want %s", name, ev, err, event)
		}
	}
	for _, bad := range []string{`42`, `"\u00"`, `[1]`} {
		if _, err := (Record{Payload: json.RawMessage(bad)}).Event(); err == nil || err == ErrNoPayload {
			t.Errorf("payload %s: Event() error %v", bad, err)
		}
	}
}

func TestObjectKeyFollowsAWSNamingConvention(t *testing.T) {
	at := time.Date(2019, 11, 14, 1, 38, 6, 21e6, time.FixedZone("CET", 3600))
	got := ObjectKey("f89f8514-cdd9-4602-9e1f-01a5b77d449b", "shardId-000000000001", at, "0b9e6c1e-3f7a-4c38-9d2a-5a8f0e1d2c3b")
	want := "aws/lambda/f89f8514-cdd9-4602-9e1f-01a5b77d449b/shardId-000000000001/2019/11/14/2019-11-14T00.38.06-0b9e6c1e-3f7a-4c38-9d2a-5a8f0e1d2c3b"
	if got != want {
		t.Errorf("ObjectKey = %s\nwant       %s", got, want)
	}
	if !strings.HasPrefix(got, KeyPrefix("f89f8514-cdd9-4602-9e1f-01a5b77d449b")) || !strings.HasPrefix(got, KeyRoot) {
		t.Errorf("%s is not under its mapping's prefix", got)
	}
}
