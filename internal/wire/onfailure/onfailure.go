// Package onfailure models the invocation record that a Lambda event source mapping for Kinesis sends to its
// on-failure destination (SQS or SNS) when it gives up on a batch. The record holds metadata only — the shard and
// the sequence-number range — never the data, which must be read back from the stream to redrive it.
//
// The local event source mapping (local/esm) produces these records and the redrive tool (internal/redrive)
// consumes them, so both agree on one type.
package onfailure

import (
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
