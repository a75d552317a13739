package onfailure

import (
	"encoding/json"
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
