// Package kinesisevent speaks the Lambda side of a Kinesis event source mapping: it encodes stream records as
// the JSON event Lambda sends a function (byte for byte as in AWS's example event) and reads the function's
// partial batch response (ReportBatchItemFailures).
//
// The local event source mapping (local/esm) and the redrive tool (internal/redrive) both invoke the
// function, so they share this one encoding.
package kinesisevent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// PayloadLimit is the synchronous invocation payload limit (6 MB) that an event must fit in.
const PayloadLimit = 6 * 1024 * 1024

// Source holds the fields that are the same for every record of one event source mapping.
type Source struct {
	StreamARN         string // eventSourceARN
	Region            string // awsRegion
	InvokeIdentityARN string // invokeIdentityArn: the function's execution role
}

// Record is one Kinesis record as read from a shard.
type Record struct {
	ShardID        string
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	Arrival        time.Time // ApproximateArrivalTimestamp
	EncryptionType string    // "KMS", or empty for none
}

// eventRecord is one element of the event's Records array. Field order follows AWS's example event so that
// the payload reads the same as the one Lambda sends.
type eventRecord struct {
	Kinesis           kinesisPayload `json:"kinesis"`
	EventSource       string         `json:"eventSource"`
	EventVersion      string         `json:"eventVersion"`
	EventID           string         `json:"eventID"`
	EventName         string         `json:"eventName"`
	InvokeIdentityARN string         `json:"invokeIdentityArn"`
	AWSRegion         string         `json:"awsRegion"`
	EventSourceARN    string         `json:"eventSourceARN"`
}

type kinesisPayload struct {
	KinesisSchemaVersion        string       `json:"kinesisSchemaVersion"`
	PartitionKey                string       `json:"partitionKey"`
	SequenceNumber              string       `json:"sequenceNumber"`
	Data                        []byte       `json:"data"` // base64, as encoding/json writes []byte
	ApproximateArrivalTimestamp epochSeconds `json:"approximateArrivalTimestamp"`
	EncryptionType              string       `json:"encryptionType,omitempty"`
}

// epochSeconds is a time written as Unix seconds with millisecond decimals (1545084650.987), the precision
// Kinesis records arrival times in.
type epochSeconds time.Time

func (e epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	sec, frac := ms/1000, ms%1000
	if frac < 0 { // before 1970: keep the fraction positive
		sec, frac = sec-1, frac+1000
	}
	b := strconv.AppendInt(nil, sec, 10)
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return b, nil
}

// EncodeRecord returns the JSON of one element of the event's Records array, without HTML escaping (AWS
// sends '<' as is). Its eventID is "<ShardID>:<SequenceNumber>".
func (s Source) EncodeRecord(r Record) ([]byte, error) {
	data := r.Data
	if data == nil {
		data = []byte{} // "" rather than null
	}
	ev := eventRecord{
		Kinesis: kinesisPayload{
			KinesisSchemaVersion:        "1.0",
			PartitionKey:                r.PartitionKey,
			SequenceNumber:              r.SequenceNumber,
			Data:                        data,
			ApproximateArrivalTimestamp: epochSeconds(r.Arrival),
			EncryptionType:              r.EncryptionType,
		},
		EventSource:       "aws:kinesis",
		EventVersion:      "1.0",
		EventID:           r.ShardID + ":" + r.SequenceNumber,
		EventName:         "aws:kinesis:record",
		InvokeIdentityARN: s.InvokeIdentityARN,
		AWSRegion:         s.Region,
		EventSourceARN:    s.StreamARN,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

const (
	payloadPrefix = `{"Records":[`
	payloadSuffix = `]}`
)

// PayloadSize is the size of the event holding n records whose encodings total sum bytes, so that a batch
// can be kept under PayloadLimit without assembling it.
func PayloadSize(n, sum int) int {
	size := len(payloadPrefix) + sum + len(payloadSuffix)
	if n > 1 {
		size += n - 1 // commas
	}
	return size
}

// Payload assembles the event from its records' encodings (EncodeRecord), in order.
func Payload(records [][]byte) []byte {
	sum := 0
	for _, r := range records {
		sum += len(r)
	}
	b := make([]byte, 0, PayloadSize(len(records), sum))
	b = append(b, payloadPrefix...)
	for i, r := range records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, payloadSuffix...)
}

// Encode returns the event for recs, which Lambda would send in one invocation.
func Encode(src Source, recs []Record) ([]byte, error) {
	encoded, err := src.EncodeRecords(recs)
	if err != nil {
		return nil, err
	}
	return Payload(encoded), nil
}

// EncodeRecords encodes each record as EncodeRecord does, for callers that cut recs into several events.
func (src Source) EncodeRecords(recs []Record) ([][]byte, error) {
	encoded := make([][]byte, len(recs))
	for i, r := range recs {
		ev, err := src.EncodeRecord(r)
		if err != nil {
			return nil, fmt.Errorf("encode record %s: %w", r.SequenceNumber, err)
		}
		encoded[i] = ev
	}
	return encoded, nil
}
