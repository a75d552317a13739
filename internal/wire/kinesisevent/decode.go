package kinesisevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// decodedRecord is one element of an event's Records array as read back: the arrival time as the number written.
type decodedRecord struct {
	Kinesis struct {
		PartitionKey                string      `json:"partitionKey"`
		SequenceNumber              string      `json:"sequenceNumber"`
		Data                        []byte      `json:"data"`
		ApproximateArrivalTimestamp json.Number `json:"approximateArrivalTimestamp"`
		EncryptionType              string      `json:"encryptionType"`
	} `json:"kinesis"`
	EventSource       string `json:"eventSource"`
	EventID           string `json:"eventID"`
	InvokeIdentityARN string `json:"invokeIdentityArn"`
	AWSRegion         string `json:"awsRegion"`
	EventSourceARN    string `json:"eventSourceARN"`
}

// Decode reads a Kinesis event, as Lambda sends it to a function (and writes it into the payload of an S3
// on-failure record), back into the stream's records, in the event's order, and the Source they share. Each
// record's shard is the part of its eventID before the colon. Arrival times are rounded to the millisecond,
// the precision Kinesis records them in, so that Encode writes the same event again. It fails on anything
// that is not such an event: no records, a record of another event source or stream, a missing field.
func Decode(event []byte) (Source, []Record, error) {
	var ev struct {
		Records []decodedRecord `json:"Records"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		return Source{}, nil, fmt.Errorf("kinesis event: %w", err)
	}
	if len(ev.Records) == 0 {
		return Source{}, nil, errors.New("kinesis event: no Records")
	}
	first := ev.Records[0]
	src := Source{StreamARN: first.EventSourceARN, Region: first.AWSRegion, InvokeIdentityARN: first.InvokeIdentityARN}
	recs := make([]Record, len(ev.Records))
	for i, r := range ev.Records {
		k := r.Kinesis
		shard, seq, ok := strings.Cut(r.EventID, ":")
		switch {
		case r.EventSource != "aws:kinesis":
			return Source{}, nil, fmt.Errorf("kinesis event: record %d: eventSource %q is not aws:kinesis", i, r.EventSource)
		case r.EventSourceARN != src.StreamARN || r.AWSRegion != src.Region:
			return Source{}, nil, fmt.Errorf("kinesis event: record %d is from %s (%s), record 0 from %s (%s)", i,
				r.EventSourceARN, r.AWSRegion, src.StreamARN, src.Region)
		case k.SequenceNumber == "":
			return Source{}, nil, fmt.Errorf("kinesis event: record %d has no sequenceNumber", i)
		case !ok || shard == "" || seq != k.SequenceNumber:
			return Source{}, nil, fmt.Errorf("kinesis event: record %d: eventID %q is not <shardId>:%s", i, r.EventID, k.SequenceNumber)
		}
		arrival, err := epochMillis(k.ApproximateArrivalTimestamp)
		if err != nil {
			return Source{}, nil, fmt.Errorf("kinesis event: record %s: approximateArrivalTimestamp: %w", k.SequenceNumber, err)
		}
		recs[i] = Record{ShardID: shard, SequenceNumber: k.SequenceNumber, PartitionKey: k.PartitionKey, Data: k.Data,
			Arrival: arrival, EncryptionType: k.EncryptionType}
	}
	return src, recs, nil
}

// epochMillis reads Unix seconds with a fraction (1545084650.987) to the nearest millisecond. A float64 holds
// today's times in milliseconds with room to spare, so the rounding lands on the millisecond that was written.
func epochMillis(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, errors.New("missing")
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(int64(math.Round(f * 1000))), nil
}
