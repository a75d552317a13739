package process

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
)

// With analytics settings (SCHEMA, TRANSFORM, TIME_FIELD, PARTITION_KEYS, FORMAT=parquet) each valid user record
// is shaped as it is decoded (function/shape): transformed, validated, given its partition and, for Parquet, made
// a row. A record that fails a step is invalid like a record that is not JSON, with the step's reason; one the
// transform drops is skipped. So the invalid-record policies, the checkpoint and the quarantine apply unchanged.

// output is what a user record contributes to its object.
type output struct {
	data    []byte           // the JSON (record mode's body, batch mode's line)
	compact bool             // data is compact JSON already (shape.Record.Compact)
	row     parquet.Row      // FORMAT=parquet: the row
	part    layout.Partition // batch mode: the object's partition
	dropped bool             // TRANSFORM dropped it: no object, counted as skipped
	noTime  bool             // batch mode with TIME_FIELD: it has no usable event time, so it goes to its arrival hour
	held    int64            // bytes it holds beyond the decoded record, charged to the invocation's budget
}

// shaping is the per-invocation state of shaping.
type shaping struct {
	shaper  *shape.Shaper
	parquet *layout.Parquet // FORMAT=parquet: makes the rows (and later, the files)
	limit   layout.PartitionLimit
	// The last partition admitUnit named, and its name: consecutive records are mostly in the same one.
	lastPart layout.Partition
	lastName string
	outs     []output // the current block the units' outputs are cut from (see outputs)
}

// outputBlock is how many outputs a block holds: one allocation for a thousand records rather than one each.
const outputBlock = 1024

// outputs returns n zero outputs for a unit, cut from a block that the invocation's units share (s may be nil).
func (s *shaping) outputs(n int) []output {
	if s == nil {
		return make([]output, n)
	}
	if len(s.outs)+n > cap(s.outs) {
		s.outs = make([]output, 0, max(n, outputBlock))
	}
	o := s.outs[len(s.outs) : len(s.outs)+n : len(s.outs)+n]
	s.outs = s.outs[:len(s.outs)+n]
	return o
}

// newShaping returns the state for one invocation, or nil when there is nothing to shape.
func (p *Processor) newShaping() (*shaping, error) {
	if !p.shape.Enabled() && p.cfg.Format != config.FormatParquet {
		return nil, nil
	}
	s := &shaping{shaper: &shape.Shaper{Options: p.shape, MaxValues: p.budget.Values,
		LibraryValues: p.budget.Library, TransformTimeout: transformTimeout,
		SkipValue: p.cfg.Format != config.FormatParquet},
		limit: layout.PartitionLimit{Max: p.cfg.MaxPartitions}}
	if p.cfg.Format == config.FormatParquet {
		pq, err := p.parquetEncoder()
		if err != nil {
			return nil, err
		}
		s.parquet = pq
	}
	return s, nil
}

// endShaping returns what s took from the Processor's pools, for the objects and the next invocation, holding
// nothing of this one's data. The rows made stay valid.
func (p *Processor) endShaping(s *shaping) {
	if s != nil && s.parquet != nil {
		s.parquet.Release()
		p.parquets.Put(s.parquet)
	}
}

// errStop is shapeItem's answer when the invocation's own time ended while it shaped the record: the record is not
// at fault, so the invocation stops before it and leaves it to the next one.
var errStop = errors.New("the invocation's time ended while shaping the record")

// transformTimeout is the longest one record's transform may run. A transform that runs away on some input
// (`[limit(.n; repeat(1))]` with a large .n) then costs its record a quarantine, the same on every attempt, instead of
// the whole invocation on every retry.
const transformTimeout = time.Second

// shapeUnit shapes the valid user records of u (those an earlier invocation handled aside). It reports false when
// the unit is for the next invocation: half of this one's time (halfway) has gone, or all of it (errStop). The first
// unit of an invocation is never left, or no invocation would get past it: its user records not yet shaped are
// invalid instead, with the reason, so that the shard moves on (an aggregate of thousands of records whose transform
// is slow).
func (p *Processor) shapeUnit(ctx context.Context, s *shaping, u *unit, first bool, halfway time.Time) bool {
	u.out = s.outputs(len(u.items))
	for k := u.resumed; k < len(u.items); k++ {
		it := &u.items[k]
		if it.Err != nil {
			continue
		}
		var err error
		if !halfway.IsZero() && time.Now().After(halfway) {
			err = errStop
		} else {
			err = p.shapeGuarded(ctx, s, u, it, &u.out[k])
		}
		if errors.Is(err, errStop) {
			if !first {
				return false
			}
			p.abandonRest(u, k)
			return true
		}
		if err != nil {
			it.Reject(err)
		}
	}
	return true
}

// abandonRest makes the valid user records of u from k on invalid: the invocation's time ran out while it shaped
// them, and u is its first record.
func (p *Processor) abandonRest(u *unit, k int) {
	err := ruleError{"shape:time", fmt.Errorf("shape: half of the invocation's time went to this Kinesis record before "+
		"its user record %d of %d was shaped; the rest are set aside so that the shard moves on", k, len(u.items))}
	p.log.Warn("the invocation's time ran out while shaping its first record: its other user records are invalid",
		"shardId", u.shard, "sequenceNumber", u.rec.Kinesis.SequenceNumber, "shaped", k, "userRecords", len(u.items))
	for j := k; j < len(u.items); j++ {
		if u.items[j].Err == nil {
			u.out[j] = output{}
			u.items[j].Reject(err)
		}
	}
}

// shapeGuarded shapes one user record and turns a panic — a bug here or in a library, on some input — into the
// record's quarantine reason: an invocation that fails is retried with the same record, and the shard is blocked.
func (p *Processor) shapeGuarded(ctx context.Context, s *shaping, u *unit, it *decode.Item, out *output) (err error) {
	defer func() {
		if r := recover(); r != nil {
			*out = output{}
			err = ruleError{"internal-error", fmt.Errorf("internal error: shaping the record panicked: %v", r)}
			p.log.Error("panic while shaping a record: it is quarantined", "shardId", u.shard,
				"sequenceNumber", u.rec.Kinesis.SequenceNumber, "subIndex", it.SubIndex, "panic", fmt.Sprint(r),
				"stack", string(debug.Stack()))
		}
	}()
	return p.shapeItem(ctx, s, u, it, out)
}

// admitUnit admits the partitions of u's user records to the invocation's MAX_PARTITIONS (batch mode). It reports
// false, admitting none, when they would pass the limit and earlier records have partitions admitted: the
// invocation then ends before u, and the next one, with a limit of its own, starts at it. So whether a record is
// written never depends on where a batch happened to begin. Only a record that alone holds more partitions than the
// limit (a KPL aggregate) has user records past it, which are invalid with the reason; it is the first record of
// the invocation that handles it, on every retry.
func (p *Processor) admitUnit(s *shaping, u *unit) bool {
	if p.cfg.OutputMode != config.ModeBatch {
		return true
	}
	parts := make([]string, len(u.items)) // "" for a user record that is not written
	for k := range u.items {
		if u.items[k].Err == nil && !u.out[k].dropped {
			parts[k] = s.partitionName(u.out[k].part)
		}
	}
	if !s.limit.Fits(parts) && s.limit.Admitted() > 0 {
		return false
	}
	for k, part := range parts {
		if part != "" && !s.limit.Admit(part) {
			u.items[k].Reject(ruleError{"partition", fmt.Errorf("partition: %s would be one more than the %d distinct "+
				"partitions an invocation may write (%s), and this one Kinesis record holds more than that", part,
				p.cfg.MaxPartitions, config.EnvMaxPartitions)})
		}
	}
	return true
}

// chargeUnit returns what the outputs of u hold beyond its decoded records, for the invocation's budget. room is
// what a fresh budget has left after decoding u: a user record that would take the outputs past it is invalid,
// since no invocation could hold it, and is not charged.
func (p *Processor) chargeUnit(u *unit, room int64) (held int64) {
	for k := range u.out {
		it, out := &u.items[k], &u.out[k]
		if it.Err != nil || out.held == 0 {
			continue
		}
		if held+out.held > room {
			it.Reject(ruleError{"shape:memory", fmt.Errorf("shape: shaped, it would hold %d bytes; its Kinesis record has %d "+
				"left of an invocation's memory budget at this memory size", out.held, room-held)})
			*out = output{}
			continue
		}
		held += out.held
	}
	return held
}

func (p *Processor) shapeItem(ctx context.Context, s *shaping, u *unit, it *decode.Item, out *output) error {
	rec, keep, err := p.shapeRecord(ctx, s, it.Data)
	if err != nil {
		return err
	}
	if !keep {
		out.dropped = true
		return nil
	}
	if int64(len(rec.JSON)) > p.budget.Record {
		return ruleError{"transform:size", fmt.Errorf("transform: its output is %d bytes; a record may have at most %d",
			len(rec.JSON), p.budget.Record)}
	}
	out.data = rec.JSON
	out.compact = rec.Compact
	if p.shape.Transform != nil {
		out.held = int64(len(rec.JSON)) // the transform's output is a copy of its own
	}
	if p.cfg.OutputMode != config.ModeBatch {
		return nil
	}
	hour := rec.Time
	if !rec.HasTime {
		hour = u.arrival
		out.noTime = p.shape.TimeField != nil
	}
	out.part = layout.Partition{Levels: rec.Levels, Hour: hour.UTC().Truncate(time.Hour)}
	if s.parquet != nil {
		if out.row, err = s.parquet.Row(rec.Value); err != nil {
			return err
		}
		// The row's values, as much again for the writer's column buffers when the object is encoded (about 20
		// bytes a value, measured), and the copy of the JSON text the row's strings point into.
		out.held += 2*int64(len(out.row))*int64(unsafe.Sizeof(parquet.Value{})) + int64(len(rec.JSON))
	}
	return nil
}

// shapeRecord shapes one record, its transform limited to transformTimeout (by the Shaper, which needs no timer for
// the transforms it runs natively). A transform that the limit ends is the record's fault, and quarantines it; one
// that the invocation's end stops is not (errStop).
func (p *Processor) shapeRecord(ctx context.Context, s *shaping, data []byte) (shape.Record, bool, error) {
	if p.beforeShape != nil {
		p.beforeShape(data)
	}
	rec, keep, err := s.shaper.Shape(ctx, data)
	if p.shape.Transform != nil && errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if ctx.Err() != nil {
			return rec, false, errStop
		}
		return rec, false, ruleError{"transform:timeout", fmt.Errorf("transform: took longer than %s", transformTimeout)}
	}
	return rec, keep, err
}

// data is the JSON of user record k: as shaped, or as decoded.
func (u *unit) data(k int) []byte {
	if u.out != nil {
		return u.out[k].data
	}
	return u.items[k].Data
}

// dropped reports whether the transform dropped user record k.
func (u *unit) dropped(k int) bool { return u.out != nil && u.out[k].dropped }

// partition is the partition of user record k's batch object: as shaped, or the arrival hour.
func (u *unit) partition(k int) layout.Partition {
	if u.out != nil {
		return u.out[k].part
	}
	return layout.Partition{Hour: u.arrival.UTC().Truncate(time.Hour)}
}

// partitionName is part.String(), made again only when the partition differs from the last one's.
func (s *shaping) partitionName(part layout.Partition) string {
	if part != s.lastPart || s.lastName == "" {
		s.lastPart, s.lastName = part, part.String()
	}
	return s.lastName
}
