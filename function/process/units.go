package process

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
)

// unit is the state of one Kinesis record: the checkpoint granularity.
type unit struct {
	rec     *events.KinesisEventRecord
	shard   string
	arrival time.Time
	items   []decode.Item
	out     []output // per item, when records are shaped (see shape.go)
	resumed int      // leading user records an earlier invocation handled (record mode, see resume): no job for them
	jobs    []int    // indexes of the jobs that must all succeed for this record to be durable
}

// invalid counts the unit's invalid user records and returns the first one's index.
func (u *unit) invalid() (n, first int) {
	first = -1
	for i, it := range u.items {
		if it.Err != nil {
			if n == 0 {
				first = i
			}
			n++
		}
	}
	return n, first
}

// decode decodes the records and returns the index of the first one this invocation leaves alone (len when none):
// records from there on are not processed, since Lambda will deliver them again. Decoding stops halfway to ctx's
// deadline, so that the writes have time too: a batch of invalid gzip bombs costs CPU without costing budget.
func (p *Processor) decode(ctx context.Context, records []events.KinesisEventRecord, m *Metrics) ([]unit, int, error) {
	units := p.unitTable(len(records))
	cut := len(records)
	now := p.now()
	var halfway time.Time
	if deadline, ok := ctx.Deadline(); ok {
		start := time.Now()
		halfway = start.Add(deadline.Sub(start) / 2)
	}
	d := decode.Decoder{Budget: p.budget.Invocation, RecordLimit: p.budget.Record,
		// Batch mode checks the JSON grammar while it compacts (one pass instead of two); the fail policy needs
		// every verdict before anything is written, so it checks here.
		SkipJSON: p.cfg.OutputMode == config.ModeBatch && p.cfg.OnInvalidRecord != config.InvalidFail}
	sh, err := p.newShaping()
	if err != nil {
		return nil, 0, err
	}
	defer p.endShaping(sh)
	unclocked := 0 // what plain records may still be decoded before the clock is read again (see clockEvery)
	for i := range records {
		r := &records[i]
		if !seqnum.Valid(r.Kinesis.SequenceNumber) {
			return nil, 0, fmt.Errorf("event record %d (eventID %q) has no valid sequenceNumber", i, r.EventID)
		}
		u := &units[i]
		// Kinesis keeps arrival times in milliseconds; as float seconds in the event they land up to about 120 ns
		// off (1795600800.123 reads as …00.122999906), which the quarantine body would show. Rounded to the
		// microsecond, the time is the stream's again, and a finer one a producer of events might send survives.
		arrival := r.Kinesis.ApproximateArrivalTimestamp.Round(time.Microsecond)
		*u = unit{rec: r, shard: shardID(r.EventID), arrival: arrival}
		m.Records++
		m.BytesIn += int64(len(r.Kinesis.Data))
		if age := now.Sub(u.arrival); !u.arrival.IsZero() && age > m.MaxArrivalAge {
			m.MaxArrivalAge = age
		}
		if cut < len(records) {
			continue // stopped before an earlier record: the rest is for the next invocation
		}
		if i > 0 && !halfway.IsZero() && unclocked <= 0 {
			if time.Now().After(halfway) {
				p.log.Warn("half the time is spent decoding: leaving the rest of the batch to the next invocation",
					"shardId", u.shard, "sequenceNumber", r.Kinesis.SequenceNumber)
				cut = i
				continue
			}
			unclocked = clockEvery
		}
		if !p.decodeUnit(ctx, &d, sh, u, i == 0, halfway) {
			cut = i
		}
		if sh == nil && decode.IsPlain(r.Kinesis.Data) {
			unclocked -= len(r.Kinesis.Data) + clockPerRecord
		} else {
			unclocked = 0 // its cost is not its size: the clock is read before the next record
		}
	}
	return units, cut, nil
}

// unitTable returns n units to fill, all zero: the table of an earlier invocation when there is one, since thousands
// of units would otherwise be allocated anew every time, adding to what the garbage collector must keep up with.
func (p *Processor) unitTable(n int) []unit {
	if t, ok := p.unitTables.Get().(*[]unit); ok && cap(*t) >= n {
		return (*t)[:n]
	}
	return make([]unit, n)
}

// recycleUnits keeps the units of an invocation that is over for the next: cleared, so that they keep nothing of it
// alive, and only while they are not much larger than it needed (one large batch does not keep its table for every
// small one after it). Beyond their length they are zero already: decode fills units only below it.
func (p *Processor) recycleUnits(units []unit) {
	if cap(units) > 4*len(units)+64 {
		return
	}
	clear(units)
	p.unitTables.Put(&units)
}

// The clock is read before each record but while plain records (decode.IsPlain), not shaped, are decoded: then
// once for every clockEvery bytes of them, each counted clockPerRecord more. Reading it costs more than checking a
// small record, and plain records are checked at hundreds of megabytes a second: the halfway point is overrun by
// about a millisecond with a whole vCPU (the slowest plain records measured took 0.1–1.1 ms a period), and by some
// 15 ms at 128 MB, a small part of any timeout.
const (
	clockEvery     = 64 << 10
	clockPerRecord = 512
)

// decodeUnit decodes one record. It reports false when the invocation must stop before the record: its budget
// cannot hold it, its time ended while shaping it, its partitions would pass MAX_PARTITIONS (admitUnit), or the
// fail policy rejects it.
func (p *Processor) decodeUnit(ctx context.Context, d *decode.Decoder, sh *shaping, u *unit, first bool, halfway time.Time) bool {
	left := d.Budget
	items, err := d.Record(u.rec.Kinesis.Data, u.rec.Kinesis.PartitionKey)
	if err != nil { // decode.ErrBudget
		p.budgetSpent(u)
		return false
	}
	u.items = items
	if sh != nil {
		if !p.shapeUnit(ctx, sh, u, first, halfway) {
			p.log.Warn("half the time is spent shaping: leaving the rest of the batch to the next invocation",
				"shardId", u.shard, "sequenceNumber", u.rec.Kinesis.SequenceNumber)
			return false
		}
		// What shaping keeps for the batch is charged like the decoded data: a record whose outputs do not fit what
		// is left is for the next invocation (chargeUnit makes sure they fit a fresh one).
		held := p.chargeUnit(u, p.budget.Invocation-(left-d.Budget))
		if held > d.Budget {
			p.budgetSpent(u)
			return false
		}
		if !p.admitUnit(sh, u) {
			p.log.Warn("MAX_PARTITIONS reached: leaving the rest of the batch to the next invocation", "shardId", u.shard,
				"sequenceNumber", u.rec.Kinesis.SequenceNumber, "maxPartitions", p.cfg.MaxPartitions)
			return false
		}
		d.Budget -= held
	}
	if p.cfg.OnInvalidRecord == config.InvalidFail {
		if n, first := u.invalid(); n > 0 {
			p.logInvalid(u, n, first)
			return false
		}
	}
	return true
}

func (p *Processor) budgetSpent(u *unit) {
	p.log.Warn("memory budget spent: leaving the rest of the batch to the next invocation", "shardId", u.shard,
		"sequenceNumber", u.rec.Kinesis.SequenceNumber, "budgetBytes", p.budget.Invocation, "memoryMB", p.budget.MemoryMB)
}

// logInvalidUnits logs the units with invalid user records, once all verdicts are in: one line per Kinesis record,
// however many of its user records are invalid.
func (p *Processor) logInvalidUnits(units []unit) {
	for i := range units {
		if n, first := units[i].invalid(); n > 0 {
			p.logInvalid(&units[i], n, first)
		}
	}
}

func (p *Processor) logInvalid(u *unit, n, first int) {
	it := u.items[first]
	p.log.Warn("invalid record", "policy", p.cfg.OnInvalidRecord, "shardId", u.shard,
		"sequenceNumber", u.rec.Kinesis.SequenceNumber, "invalidUserRecords", n, "userRecords", len(u.items),
		"firstSubIndex", it.SubIndex, "reason", it.Err.Error())
}

// shardID takes the shard from the eventID, "shardId-000000000006:<sequenceNumber>".
func shardID(eventID string) string {
	if shard, _, ok := strings.Cut(eventID, ":"); ok && shard != "" {
		return shard
	}
	return "shardId-unknown"
}
