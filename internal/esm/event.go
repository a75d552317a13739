package esm

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// eventRecord is one element of the Kinesis event's Records array. Field order follows AWS's example event so
// that the payload reads the same as the one Lambda sends.
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

// eventSource holds the fields that are the same for every record of one mapping.
type eventSource struct {
	streamARN, region, invokeIdentityARN string
}

// encodeRecord returns the JSON of one event record, without HTML escaping (AWS sends '<' as is).
func (s eventSource) encodeRecord(shardID string, r record) ([]byte, error) {
	data := r.data
	if data == nil {
		data = []byte{} // "" rather than null
	}
	ev := eventRecord{
		Kinesis: kinesisPayload{
			KinesisSchemaVersion:        "1.0",
			PartitionKey:                r.partitionKey,
			SequenceNumber:              r.seq,
			Data:                        data,
			ApproximateArrivalTimestamp: epochSeconds(r.arrival),
			EncryptionType:              r.encryptionType,
		},
		EventSource:       "aws:kinesis",
		EventVersion:      "1.0",
		EventID:           shardID + ":" + r.seq,
		EventName:         "aws:kinesis:record",
		InvokeIdentityARN: s.invokeIdentityARN,
		AWSRegion:         s.region,
		EventSourceARN:    s.streamARN,
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

// payloadSize is the size of the event holding records whose encodings total sum bytes.
func payloadSize(n, sum int) int {
	size := len(payloadPrefix) + sum + len(payloadSuffix)
	if n > 1 {
		size += n - 1 // commas
	}
	return size
}

// payload assembles the invocation event for a batch from the records' encodings.
func payload(batch []*record) []byte {
	sum := 0
	for _, r := range batch {
		sum += len(r.event)
	}
	b := make([]byte, 0, payloadSize(len(batch), sum))
	b = append(b, payloadPrefix...)
	for i, r := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.event...)
	}
	return append(b, payloadSuffix...)
}
