// Package benchdata is the workload the benchmarks measure (make bench): 4,800 records of the clickstream template
// of pipelinectl generate, with a fixed seed and clock, and the Kinesis event that carries them as Lambda sends it.
// 4,800 such records, 2.7 MB of JSON, make an event of 6.2 MB, just under Lambda's invocation payload limit.
package benchdata

import (
	"fmt"
	"math/big"
	"sync"
	"syscall"
	"time"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// Records is the number of records in the event.
const Records = 4800

// Shard is the shard every record comes from; all arrive within one hour, so batch mode writes one object.
const Shard = "shardId-000000000000"

// Source is the stream the event comes from.
var Source = kinesisevent.Source{
	StreamARN:         "arn:aws:kinesis:us-east-1:123456789012:stream/clickstream",
	Region:            "us-east-1",
	InvokeIdentityARN: "arn:aws:iam::123456789012:role/kinesis2s3-function",
}

// Workload is the records and their event.
type Workload struct {
	Data   [][]byte              // each record's data: one compact JSON value
	Bytes  int64                 // of Data together
	Event  []byte                // the Kinesis event holding them
	Stream []kinesisevent.Record // the records as read from the stream
}

var (
	once sync.Once
	w    Workload
	err  error
)

// Clickstream returns the workload, built once; callers must not modify it.
func Clickstream() (Workload, error) {
	once.Do(func() { w, err = build(Records) })
	if err == nil && len(w.Event) > kinesisevent.PayloadLimit {
		return Workload{}, fmt.Errorf("the benchmark event is %d bytes, over Lambda's payload limit of %d", len(w.Event), kinesisevent.PayloadLimit)
	}
	return w, err
}

// FullBatch is the most records a Kinesis event source mapping puts in a batch (batch_size).
const FullBatch = 10000

// ClickstreamFullBatch is a workload of FullBatch records, the first Records of them Clickstream's: the records of a
// full batch for benchmarks of the core, which takes decoded records. Its Event is over Lambda's payload limit (5.6 MB
// of JSON), so it tells nothing of the entry point. Built on each call.
func ClickstreamFullBatch() (Workload, error) { return build(FullBatch) }

func build(records int) (Workload, error) {
	tmpl, _ := generate.LookupBuiltin("clickstream")
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	gen, err := generate.NewGenerator(generate.Options{TemplateName: tmpl.Name, Template: tmpl.Text,
		PartitionKey: tmpl.PartitionKey, Seed: 7, Now: func() time.Time { return clock }})
	if err != nil {
		return Workload{}, err
	}
	seq, _ := new(big.Int).SetString("49590338271490256608559692538361571095921575989136588898", 10)
	step := big.NewInt(2564341663402534550)
	var wl Workload
	for range records {
		rec, err := gen.Next()
		if err != nil {
			return Workload{}, err
		}
		wl.Stream = append(wl.Stream, kinesisevent.Record{ShardID: Shard, SequenceNumber: seq.String(),
			PartitionKey: rec.PartitionKey, Data: rec.Data, Arrival: clock})
		wl.Data = append(wl.Data, rec.Data)
		wl.Bytes += int64(len(rec.Data))
		seq.Add(seq, step)
		clock = clock.Add(time.Millisecond) // the event time of the next record, and its arrival
	}
	if wl.Event, err = kinesisevent.Encode(Source, wl.Stream); err != nil {
		return Workload{}, err
	}
	return wl, nil
}

// Schema declares ten properties of the records (the clickstream template), with the checks a producer contract
// usually has: the analytics benchmarks' SCHEMA.
const Schema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["event_id", "event_type", "event_time"],
  "properties": {
    "event_id": {"type": "string", "minLength": 36, "maxLength": 36},
    "event_type": {"type": "string", "enum": ["page_view", "click", "add_to_cart", "purchase"]},
    "event_time": {"type": "string", "format": "date-time"},
    "session_id": {"type": "string"},
    "user": {"type": "object", "required": ["id"], "properties": {
      "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}, "logged_in": {"type": "boolean"}}},
    "page": {"type": "object", "properties": {
      "url": {"type": "string"}, "referrer": {"type": ["string", "null"]}, "category": {"type": "string"}}},
    "device": {"type": "object", "properties": {
      "user_agent": {"type": "string"}, "ip": {"type": "string"}, "country": {"type": "string"}}},
    "duration_ms": {"type": "integer", "minimum": 0},
    "duration_s": {"type": "number", "minimum": 0},
    "tags": {"type": "array", "items": {"type": "string"}}
  }
}`

// CPUTime is the CPU time the process has used: on a shared machine, a steadier measure of one core's work than the
// wall clock.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
