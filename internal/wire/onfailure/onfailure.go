// Package onfailure models the invocation record that a Lambda event source mapping for Kinesis sends to its
// on-failure destination when it gives up on a batch. Sent to SQS or SNS, the record holds metadata only — the
// shard and the sequence-number range — and the data must be read back from the stream to redrive it. Written to
// an S3 bucket, the same record also carries the whole invocation event in its payload member, so that the data
// outlives the stream's retention (AWS: "For Amazon S3 destinations, Lambda also sends the entire invocation
// record along with the metadata").
//
// The local event source mapping (local/esm) produces these records and the redrive tool (internal/redrive)
// consumes them, so both agree on one type.
package onfailure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Conditions under which the event source mapping discards a batch.
const (
	RetryAttemptsExhausted = "RetryAttemptsExhausted"
	RecordAgeExceeded      = "RecordAgeExceeded"
)

// Record is one on-failure invocation record, as AWS documents it for Kinesis event sources.
type Record struct {
	RequestContext   RequestContext    `json:"requestContext"`
	ResponseContext  ResponseContext   `json:"responseContext"`
	Version          string            `json:"version"`
	Timestamp        time.Time         `json:"timestamp"`
	KinesisBatchInfo *KinesisBatchInfo `json:"KinesisBatchInfo"`
	// Payload is the invocation event, in records written to an S3 destination only; empty otherwise. AWS
	// documents it as "the original invocation record as an escaped JSON string"; Event also reads it as the
	// event object itself, as LocalStack writes it.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// RequestContext says which function gave up, and why.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext describes the last invocation's result.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// KinesisBatchInfo is the discarded range: every record of ShardID from StartSequenceNumber to EndSequenceNumber,
// both inclusive.
type KinesisBatchInfo struct {
	ShardID                         string    `json:"shardId"`
	StartSequenceNumber             string    `json:"startSequenceNumber"`
	EndSequenceNumber               string    `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord time.Time `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  time.Time `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int       `json:"batchSize"`
	StreamARN                       string    `json:"streamArn"`
}

// ErrNotKinesis is returned by Parse for JSON that is not a Kinesis on-failure record (for example a DynamoDB
// Streams or SQS one, or an unrelated message).
var ErrNotKinesis = errors.New("not a Kinesis on-failure record")

// Parse decodes and checks an on-failure record. It fails on malformed JSON, on records without KinesisBatchInfo
// (ErrNotKinesis), and on records missing the fields needed to find the data again.
func Parse(body []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(body, &r); err != nil {
		return Record{}, fmt.Errorf("on-failure record: %w", err)
	}
	if r.KinesisBatchInfo == nil {
		return Record{}, ErrNotKinesis
	}
	b := r.KinesisBatchInfo
	switch {
	case b.StreamARN == "":
		return Record{}, errors.New("on-failure record: KinesisBatchInfo.streamArn is empty")
	case b.ShardID == "":
		return Record{}, errors.New("on-failure record: KinesisBatchInfo.shardId is empty")
	case b.StartSequenceNumber == "" || b.EndSequenceNumber == "":
		return Record{}, errors.New("on-failure record: KinesisBatchInfo sequence range is incomplete")
	}
	return r, nil
}

// timeLayout is how AWS writes the times of an on-failure record: UTC, always with three digits of milliseconds
// ("2019-11-14T00:38:06.021Z"). time.Time's own JSON drops a fraction of zero.
const timeLayout = "2006-01-02T15:04:05.000Z"

// awsTime is a time that marshals in timeLayout.
type awsTime time.Time

func (t awsTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(timeLayout) + `"`), nil
}

// MarshalJSON writes the record with its times as AWS writes them.
func (r Record) MarshalJSON() ([]byte, error) {
	type plain Record // the same fields, without this method
	return json.Marshal(struct {
		plain
		Timestamp awsTime `json:"timestamp"`
	}{plain(r), awsTime(r.Timestamp)})
}

// MarshalJSON writes the batch info with its times as AWS writes them.
func (b KinesisBatchInfo) MarshalJSON() ([]byte, error) {
	type plain KinesisBatchInfo // the same fields, without this method
	return json.Marshal(struct {
		plain
		ApproximateArrivalOfFirstRecord awsTime `json:"approximateArrivalOfFirstRecord"`
		ApproximateArrivalOfLastRecord  awsTime `json:"approximateArrivalOfLastRecord"`
	}{plain(b), awsTime(b.ApproximateArrivalOfFirstRecord), awsTime(b.ApproximateArrivalOfLastRecord)})
}

// ErrNoPayload is returned by Record.Event for a record without a payload: one sent to SQS or SNS.
var ErrNoPayload = errors.New("the on-failure record has no payload (only records written to S3 carry the event)")

// StringPayload is a Payload holding event as AWS writes it: a JSON string whose text is the event's JSON.
func StringPayload(event []byte) json.RawMessage {
	b, _ := json.Marshal(string(event)) // a string always marshals
	return b
}

// Event returns the invocation event the record's payload holds, whether the payload is a string holding the
// event's JSON (AWS's documented form) or the event object itself (LocalStack's form).
func (r Record) Event() ([]byte, error) {
	p := bytes.TrimSpace(r.Payload)
	switch {
	case len(p) == 0 || bytes.Equal(p, []byte("null")):
		return nil, ErrNoPayload
	case p[0] == '{':
		return p, nil
	case p[0] == '"':
		var s string
		if err := json.Unmarshal(p, &s); err != nil {
			return nil, fmt.Errorf("on-failure record: payload: %w", err)
		}
		return []byte(s), nil
	}
	return nil, fmt.Errorf("on-failure record: payload is neither the event object nor a string holding its JSON (it starts with %q)", p[:1])
}

// KeyRoot starts the key of every on-failure object Lambda writes to an S3 destination. AWS documents no setting
// for another prefix: the destination is the bucket's ARN.
const KeyRoot = "aws/lambda/"

// KeyPrefix is the common prefix of the on-failure objects of one event source mapping.
func KeyPrefix(mappingUUID string) string { return KeyRoot + mappingUUID + "/" }

// ObjectKey is the key of an on-failure object, in AWS's naming convention
// aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>, at the time at (in UTC).
func ObjectKey(mappingUUID, shardID string, at time.Time, randomUUID string) string {
	at = at.UTC()
	return KeyPrefix(mappingUUID) + shardID + "/" + at.Format("2006/01/02/2006-01-02T15.04.05") + "-" + randomUUID
}
