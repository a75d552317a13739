// Package process is the record-processing core of the handler: it turns one Kinesis batch into S3 writes,
// quarantines invalid records, and answers with a partial-batch response that follows Kinesis checkpoint semantics.
// It performs no I/O itself: objects go through a Writer, so the same core runs in Lambda, in the redrive tool and
// in tests.
package process

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
)

// Writer stores one object. It must be safe for concurrent use; an error means the object may not be durable.
type Writer interface {
	Put(ctx context.Context, key string, body []byte, contentType string) error
}

// Processor processes Kinesis batches. It is safe for concurrent use.
type Processor struct {
	cfg      config.Config
	w        Writer
	log      *slog.Logger
	now      func() time.Time
	encoders sync.Pool // *layout.Encoder, reused across invocations
}

// New returns a Processor writing through w. A nil logger discards logs. It fails only for a compression that
// config.Load would have rejected.
func New(cfg config.Config, w Writer, log *slog.Logger) (*Processor, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Processor{cfg: cfg, w: w, log: log, now: time.Now}
	if cfg.OutputMode == config.ModeBatch {
		enc, err := layout.NewEncoder(cfg.Compression)
		if err != nil {
			return nil, err
		}
		p.encoders.Put(enc)
	}
	return p, nil
}

// Metrics describes one invocation. Records are Kinesis records; user records are what they carry after KPL
// de-aggregation (one each for plain records).
type Metrics struct {
	Records            int           // Kinesis records in the event
	UserRecords        int           // user records decoded from them
	RecordsWritten     int           // user records written to their data object
	RecordsQuarantined int           // user records written under the error prefix
	RecordsSkipped     int           // invalid user records dropped by ON_INVALID_RECORD=skip (counted and logged)
	RecordsFailed      int           // Kinesis records left for Lambda to retry: the reported one and all after it
	BytesIn            int64         // Kinesis record data
	BytesWritten       int64         // object bodies written (data and quarantine)
	ObjectsWritten     int           // objects written (data and quarantine)
	MaxArrivalAge      time.Duration // now minus the oldest approximateArrivalTimestamp
}

// unit is the state of one Kinesis record: the checkpoint granularity.
type unit struct {
	rec     *events.KinesisEventRecord
	shard   string
	arrival time.Time
	items   []decode.Item
	jobs    []int // indexes of the jobs that must all succeed for this record to be durable
}

// job is one object to write, and the records that depend on it.
type job struct {
	key, contentType string
	body             []byte
	units            []int
	records          int  // user records it carries (for metrics)
	quarantine       bool // a quarantine object rather than data
	ok               bool
}

// Process handles one batch. The response reports the first record, in shard order, that is not durably handled
// (written or quarantined); everything before it is durable. A malformed event (a record without a valid
// sequence number, which Lambda never sends) is an error, since no checkpoint can be reported for it.
func (p *Processor) Process(ctx context.Context, records []events.KinesisEventRecord) (events.KinesisEventResponse, Metrics, error) {
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	var m Metrics
	if len(records) == 0 {
		return resp, m, nil
	}
	units, cut, err := p.decode(records, &m)
	if err != nil {
		return resp, m, err
	}

	ctx, cancel := withReserve(ctx)
	defer cancel()

	var jobs []job
	var groups [][2]int // first and last unit index of each batch-mode object, for lowering the checkpoint
	if p.cfg.OutputMode == config.ModeBatch {
		jobs, groups, err = p.batchJobs(units[:cut], &m)
		if err != nil {
			return resp, m, err
		}
	} else {
		jobs = p.recordJobs(units[:cut])
	}
	jobs = append(jobs, p.quarantineJobs(units[:cut])...)
	for j := range jobs {
		for _, u := range jobs[j].units {
			units[u].jobs = append(units[u].jobs, j)
		}
	}
	p.run(ctx, jobs)

	first := cut
	for i := 0; i < cut; i++ {
		if !durable(units[i], jobs) {
			first = i
			break
		}
	}
	first = lowerToObjectStart(first, groups)
	if first < len(units) {
		seq := units[first].rec.Kinesis.SequenceNumber
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: seq})
		m.RecordsFailed = len(units) - first
	}
	for _, j := range jobs {
		if !j.ok {
			continue
		}
		m.ObjectsWritten++
		m.BytesWritten += int64(len(j.body))
		if j.quarantine {
			m.RecordsQuarantined += j.records
		} else {
			m.RecordsWritten += j.records
		}
	}
	return resp, m, nil
}

// decode decodes every record and returns the index of the first one that the fail policy rejects (len when none):
// records from there on are not processed, since Lambda will deliver them again.
func (p *Processor) decode(records []events.KinesisEventRecord, m *Metrics) ([]unit, int, error) {
	units := make([]unit, len(records))
	cut := len(records)
	now := p.now()
	for i := range records {
		r := &records[i]
		if !seqnum.Valid(r.Kinesis.SequenceNumber) {
			return nil, 0, fmt.Errorf("event record %d (eventID %q) has no valid sequenceNumber", i, r.EventID)
		}
		u := unit{rec: r, shard: shardID(r.EventID), arrival: r.Kinesis.ApproximateArrivalTimestamp.Time}
		m.Records++
		m.BytesIn += int64(len(r.Kinesis.Data))
		if age := now.Sub(u.arrival); !u.arrival.IsZero() && age > m.MaxArrivalAge {
			m.MaxArrivalAge = age
		}
		if i < cut {
			// Batch mode checks the JSON grammar while it compacts (one pass instead of two); the fail policy
			// needs every verdict before anything is written, so it checks here.
			if p.cfg.OutputMode == config.ModeBatch && p.cfg.OnInvalidRecord != config.InvalidFail {
				u.items = decode.Unpacked(r.Kinesis.Data, r.Kinesis.PartitionKey)
			} else {
				u.items = decode.Record(r.Kinesis.Data, r.Kinesis.PartitionKey)
			}
			m.UserRecords += len(u.items)
			for _, it := range u.items {
				if it.Err != nil && p.invalid(&u, it, m) && cut == len(records) {
					cut = i
				}
			}
		}
		units[i] = u
	}
	return units, cut, nil
}

// invalid logs an invalid user record and applies the skip policy's count. It reports whether the fail policy
// rejects the record (Lambda must retry it, and so everything after it).
func (p *Processor) invalid(u *unit, it decode.Item, m *Metrics) bool {
	p.log.Warn("invalid record", "policy", p.cfg.OnInvalidRecord, "shardId", u.shard,
		"sequenceNumber", u.rec.Kinesis.SequenceNumber, "subIndex", it.SubIndex, "reason", it.Err.Error())
	switch p.cfg.OnInvalidRecord {
	case config.InvalidSkip:
		m.RecordsSkipped++
	case config.InvalidFail:
		return true
	}
	return false
}

func (p *Processor) recordJobs(units []unit) []job {
	var jobs []job
	for i, u := range units {
		for _, it := range u.items {
			if it.Err != nil {
				continue
			}
			jobs = append(jobs, job{
				key:         layout.RecordKey(p.cfg.KeyPrefix, u.rec.Kinesis.SequenceNumber, it.SubIndex),
				body:        it.Data,
				contentType: "application/json",
				units:       []int{i},
				records:     1,
			})
		}
	}
	return jobs
}

// batchJobs groups the valid user records by shard and UTC arrival hour, in sequence order, and encodes each group
// into one object named after its first record. Values the encoder finds not to be JSON are marked invalid here.
func (p *Processor) batchJobs(units []unit, m *Metrics) ([]job, [][2]int, error) {
	type ref struct{ unit, item int }
	type group struct {
		values [][]byte
		refs   []ref
		size   int
	}
	type shardHour struct {
		shard string
		hour  int64
	}
	var order []*group
	byKey := map[shardHour]*group{}
	for i, u := range units {
		for k, it := range u.items {
			if it.Err != nil {
				continue
			}
			sh := shardHour{u.shard, u.arrival.Unix() / 3600}
			g := byKey[sh]
			if g == nil {
				g = &group{}
				byKey[sh] = g
				order = append(order, g)
			}
			g.values = append(g.values, it.Data)
			g.refs = append(g.refs, ref{i, k})
			g.size += len(it.Data) + 1
		}
	}
	enc, err := p.encoder()
	if err != nil {
		return nil, nil, err
	}
	defer p.encoders.Put(enc)
	jobs := make([]job, 0, len(order))
	spans := make([][2]int, 0, len(order))
	for _, g := range order {
		var buf bytes.Buffer
		// Size the output once: the JSON Lines size bounds an uncompressed object, and JSON compresses well
		// beyond 4:1, so a compressed one rarely needs to grow.
		if p.cfg.Compression == config.CompressionNone {
			buf.Grow(g.size)
		} else {
			buf.Grow(g.size/4 + 4096)
		}
		rejected, err := enc.Encode(&buf, g.values)
		if err != nil {
			return nil, nil, fmt.Errorf("encode batch object: %w", err)
		}
		for _, r := range rejected {
			u := &units[g.refs[r.Index].unit]
			it := &u.items[g.refs[r.Index].item]
			it.RejectJSON(r.Err)
			p.invalid(u, *it, m) // the fail policy checked JSON before; it never gets here
		}
		var members []int // the records with a line in this object, in order
		for _, r := range g.refs {
			if units[r.unit].items[r.item].Err == nil && (len(members) == 0 || members[len(members)-1] != r.unit) {
				members = append(members, r.unit)
			}
		}
		if len(members) == 0 {
			continue // every value was invalid: no object
		}
		first := units[members[0]]
		jobs = append(jobs, job{
			key:         layout.BatchKey(p.cfg.KeyPrefix, first.arrival, first.shard, first.rec.Kinesis.SequenceNumber, p.cfg.Compression),
			body:        buf.Bytes(),
			contentType: layout.ContentType(p.cfg.Compression),
			units:       members,
			records:     len(g.values) - len(rejected),
		})
		spans = append(spans, [2]int{members[0], members[len(members)-1]})
	}
	return jobs, spans, nil
}

func (p *Processor) encoder() (*layout.Encoder, error) {
	if e, ok := p.encoders.Get().(*layout.Encoder); ok {
		return e, nil
	}
	return layout.NewEncoder(p.cfg.Compression)
}

// quarantineRecord is the body of a quarantined record: everything needed to understand and replay it.
type quarantineRecord struct {
	Reason                      string    `json:"reason"`
	EventSourceARN              string    `json:"eventSourceARN,omitempty"`
	ShardID                     string    `json:"shardId"`
	SequenceNumber              string    `json:"sequenceNumber"`
	SubIndex                    *int      `json:"subIndex,omitempty"` // position in a KPL aggregated record
	PartitionKey                string    `json:"partitionKey"`
	ApproximateArrivalTimestamp time.Time `json:"approximateArrivalTimestamp"`
	Data                        string    `json:"data"` // base64 of the raw bytes
}

func (p *Processor) quarantineJobs(units []unit) []job {
	if p.cfg.OnInvalidRecord != config.InvalidQuarantine {
		return nil
	}
	var jobs []job
	for i, u := range units {
		for _, it := range u.items {
			if it.Err == nil {
				continue
			}
			q := quarantineRecord{
				Reason:                      it.Err.Error(),
				EventSourceARN:              u.rec.EventSourceArn,
				ShardID:                     u.shard,
				SequenceNumber:              u.rec.Kinesis.SequenceNumber,
				PartitionKey:                it.PartitionKey,
				ApproximateArrivalTimestamp: u.arrival.UTC(),
				Data:                        base64.StdEncoding.EncodeToString(it.Raw),
			}
			if it.SubIndex >= 0 {
				q.SubIndex = &it.SubIndex
			}
			body, _ := json.Marshal(q) // plain strings and a time: cannot fail
			jobs = append(jobs, job{
				key:         layout.QuarantineKey(p.cfg.ErrorPrefix, u.arrival, u.shard, u.rec.Kinesis.SequenceNumber, it.SubIndex),
				body:        body,
				contentType: "application/json",
				units:       []int{i},
				records:     1,
				quarantine:  true,
			})
		}
	}
	return jobs
}

// run writes the jobs with bounded concurrency, in order. After the first failure, or once ctx is done, it starts
// no new writes: Lambda retries from the failed record, so later writes would be repeated anyway. Writes already
// under way finish with ctx, not with the group's context, so a failure elsewhere does not cut them short.
func (p *Processor) run(ctx context.Context, jobs []job) {
	g, stop := errgroup.WithContext(ctx)
	g.SetLimit(max(1, p.cfg.UploadConcurrency))
	for j := range jobs {
		if stop.Err() != nil {
			break
		}
		jb := &jobs[j]
		g.Go(func() error {
			if stop.Err() != nil { // stopped while this write waited for a slot
				return nil
			}
			if err := p.w.Put(ctx, jb.key, jb.body, jb.contentType); err != nil {
				p.log.Error("write failed", "key", jb.key, "error", err.Error())
				return err
			}
			jb.ok = true
			return nil
		})
	}
	_ = g.Wait() // the outcome is in each job's ok
}

// durable reports whether every object the record's user records went to was written.
func durable(u unit, jobs []job) bool {
	for _, j := range u.jobs {
		if !jobs[j].ok {
			return false
		}
	}
	return true
}

// lowerToObjectStart moves a checkpoint that falls inside a batch-mode object to that object's first record.
// Lambda retries from the reported record; were it in the middle of an object already written, the retry would
// write that object's later records a second time under a new key. Reporting the object's first record instead
// makes the retry overwrite the same key.
func lowerToObjectStart(first int, spans [][2]int) int {
	for changed := true; changed; {
		changed = false
		for _, s := range spans {
			if s[0] < first && s[1] >= first {
				first, changed = s[0], true
			}
		}
	}
	return first
}

// shardID takes the shard from the eventID, "shardId-000000000006:<sequenceNumber>".
func shardID(eventID string) string {
	if shard, _, ok := strings.Cut(eventID, ":"); ok && shard != "" {
		return shard
	}
	return "shardId-unknown"
}

// withReserve shortens the context's deadline so that the handler can still report what it did before Lambda
// kills it: a tenth of the remaining time, at least 200 ms and at most 2 s.
func withReserve(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := min(max(time.Until(deadline)/10, 200*time.Millisecond), 2*time.Second)
	return context.WithDeadline(ctx, deadline.Add(-reserve))
}
