package process

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// quarantineRecord is the body of a quarantine object: one per Kinesis record with invalid user records, holding
// everything needed to understand and replay it. Its size is bounded by the record's: the data once, and for an
// aggregate one short entry per invalid user record (at most decode.MaxSubRecords), never copies of shared fields.
type quarantineRecord struct {
	Reason         string `json:"reason"`
	EventSourceARN string `json:"eventSourceARN,omitempty"`
	ShardID        string `json:"shardId"`
	SequenceNumber string `json:"sequenceNumber"`
	// PartitionKey is the record's key when it is valid UTF-8; otherwise PartitionKeyBase64 holds its bytes, so that
	// the record can be replayed exactly.
	PartitionKey                string    `json:"partitionKey,omitempty"`
	PartitionKeyBase64          string    `json:"partitionKeyBase64,omitempty"`
	ApproximateArrivalTimestamp time.Time `json:"approximateArrivalTimestamp"`
	// Data is the Kinesis record's data as received (base64): the whole KPL aggregate for one.
	Data string `json:"data"`
	// Invalid lists the invalid user records of a KPL aggregate whose other user records were written.
	Invalid []invalidUserRecord `json:"invalid,omitempty"`
}

type invalidUserRecord struct {
	SubIndex int    `json:"subIndex"`
	Reason   string `json:"reason"`
}

// appendQuarantine adds the quarantine object of unit u (whose list is self) when the policy is quarantine and it
// has invalid user records.
func (p *Processor) appendQuarantine(jobs []job, self []int, u *unit) []job {
	n, first := u.invalid()
	if n == 0 || p.cfg.OnInvalidRecord != config.InvalidQuarantine {
		return jobs
	}
	r := u.rec
	q := quarantineRecord{
		Reason:                      u.items[first].Err.Error(),
		EventSourceARN:              r.EventSourceArn,
		ShardID:                     u.shard,
		SequenceNumber:              r.Kinesis.SequenceNumber,
		ApproximateArrivalTimestamp: u.arrival.UTC(),
		Data:                        base64.StdEncoding.EncodeToString(r.Kinesis.Data),
	}
	if utf8.ValidString(r.Kinesis.PartitionKey) {
		q.PartitionKey = r.Kinesis.PartitionKey
	} else {
		q.PartitionKeyBase64 = base64.StdEncoding.EncodeToString([]byte(r.Kinesis.PartitionKey))
	}
	if u.items[first].SubIndex >= 0 { // user records of an aggregate, rather than the whole record
		q.Reason = fmt.Sprintf("%d of the %d user records of this KPL aggregate are invalid; the first, %d: %s",
			n, len(u.items), first, q.Reason)
		q.Invalid = make([]invalidUserRecord, 0, n)
		for k, it := range u.items {
			if it.Err != nil {
				q.Invalid = append(q.Invalid, invalidUserRecord{SubIndex: k, Reason: it.Err.Error()})
			}
		}
	}
	body, _ := json.Marshal(q) // strings, numbers and a time: cannot fail
	return append(jobs, job{
		key:         layout.QuarantineKey(p.cfg.ErrorPrefix, u.arrival, u.shard, r.Kinesis.SequenceNumber, -1),
		body:        body,
		contentType: "application/json",
		units:       self,
		quarantine:  true,
	})
}
