package process

import (
	"bytes"
	"context"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// job is one object to write, and the records that depend on it.
type job struct {
	key, contentType string
	body             []byte
	units            []int
	quarantine       bool // a quarantine object rather than data
	ok               bool
}

// jobs lists the objects to write for units, links each unit to its jobs and hands the jobs over to be written
// (batch-mode objects as soon as each is encoded). They come in the order of the records they hold, so that writes
// cut short by the deadline leave the earliest records durable. spans are the first and last unit of each
// batch-mode object, for lowering the checkpoint. The caller waits for the writes: on an error too, as some may be
// under way.
func (p *Processor) jobs(ctx context.Context, units []unit) (jobs []job, spans [][2]int, up *uploads, err error) {
	if p.cfg.OutputMode == config.ModeBatch {
		if jobs, spans, up, err = p.batchJobs(ctx, units); err != nil {
			return nil, nil, up, err
		}
	}
	handed := len(jobs)
	self := newUnitLists(len(units))
	for i := range units {
		// A record's quarantine object before its data objects: a large aggregate's progress (see resume) counts
		// its invalid user records as handled only once that one object is written.
		jobs = p.appendQuarantine(jobs, self.of(i), &units[i])
		if p.cfg.OutputMode == config.ModeRecord {
			jobs = p.appendRecordJobs(jobs, self.of(i), &units[i])
		}
	}
	if up == nil {
		up = p.uploads(ctx, len(jobs))
	}
	for j := handed; j < len(jobs); j++ {
		up.add(jobs, j)
	}
	p.logInvalidUnits(units)
	linkUnits(units, jobs)
	return jobs, spans, up, nil
}

// unitLists hands out the list of one unit that most jobs have, each a slice of one shared array rather than an
// allocation of its own: the list of unit i is unitLists[i:i+1].
type unitLists []int

func newUnitLists(n int) unitLists {
	l := make(unitLists, n)
	for i := range l {
		l[i] = i
	}
	return l
}

func (l unitLists) of(i int) []int { return l[i : i+1 : i+1] }

// linkUnits gives each unit the indexes of its jobs, in job order, as slices of one shared array.
func linkUnits(units []unit, jobs []job) {
	start := make([]int, len(units)+1) // unit u's jobs go to links[start[u]:start[u+1]]
	for j := range jobs {
		for _, u := range jobs[j].units {
			start[u+1]++
		}
	}
	for u := range units {
		start[u+1] += start[u]
	}
	links := make([]int, start[len(units)])
	for u := range units {
		units[u].jobs = links[start[u]:start[u]:start[u+1]] // appending below stays within its own range
	}
	for j := range jobs {
		for _, u := range jobs[j].units {
			units[u].jobs = append(units[u].jobs, j)
		}
	}
}

// appendRecordJobs adds one object per valid user record of unit u (whose list is self), except those an earlier
// invocation wrote and those the transform dropped.
func (p *Processor) appendRecordJobs(jobs []job, self []int, u *unit) []job {
	for k := u.resumed; k < len(u.items); k++ {
		it := u.items[k]
		if it.Err != nil || u.dropped(k) {
			continue
		}
		jobs = append(jobs, job{
			key:         layout.RecordKey(p.cfg.KeyPrefix, u.rec.Kinesis.SequenceNumber, it.SubIndex),
			body:        u.data(k),
			contentType: "application/json",
			units:       self,
		})
	}
	return jobs
}

// group is the valid user records of one shard and partition (without analytics settings, the UTC arrival hour),
// in sequence order: one batch object.
type group struct {
	part    layout.Partition
	values  [][]byte      // JSON Lines
	compact []bool        // per value: known to be compact JSON (shaped), written as it is
	rows    []parquet.Row // FORMAT=parquet
	refs    []ref         // where each value comes from
	size    int           // of the values as JSON Lines, at most
}

type ref struct{ unit, item int }

// groupByShardPartition makes the groups in two passes: the first finds each value's group and counts what each
// holds, the second fills them, each group's slices cut to size from one array per kind, rather than grown by
// appending value after value.
func groupByShardPartition(units []unit) []*group {
	// The partition by its parts, not its path: a record without analytics settings costs no allocation here.
	type shardPartition struct {
		shard, levels string
		hour          int64
	}
	var order []*group
	var counts [][2]int // of each group: values, rows
	byKey := map[shardPartition]int{}
	var last shardPartition
	lastGroup := -1
	n := 0
	for i := range units {
		n += len(units[i].items)
	}
	of := make([]int32, 0, n) // the group of each valid value, in order
	var values, rows int
	for i := range units {
		u := &units[i]
		for k, it := range u.items {
			if it.Err != nil || u.dropped(k) {
				continue
			}
			part := u.partition(k)
			key := shardPartition{u.shard, part.Levels, part.Hour.Unix()}
			if lastGroup < 0 || key != last { // consecutive values are mostly in the same group
				g, ok := byKey[key]
				if !ok {
					g = len(order)
					byKey[key] = g
					order = append(order, &group{part: part})
					counts = append(counts, [2]int{})
				}
				last, lastGroup = key, g
			}
			if u.out != nil && u.out[k].row != nil {
				counts[lastGroup][1]++
				rows++
			} else {
				counts[lastGroup][0]++
				values++
			}
			order[lastGroup].size += len(u.data(k)) + 1
			of = append(of, int32(lastGroup))
		}
	}
	// Each group's slices are empty, with room for what it holds, in one array per kind.
	allValues, allCompact, allRows, allRefs := make([][]byte, values), make([]bool, values), make([]parquet.Row, rows), make([]ref, len(of))
	for i, g := range order {
		nv, nr := counts[i][0], counts[i][1]
		g.values, allValues = allValues[:0:nv], allValues[nv:]
		g.compact, allCompact = allCompact[:0:nv], allCompact[nv:]
		g.rows, allRows = allRows[:0:nr], allRows[nr:]
		g.refs, allRefs = allRefs[:0:nv+nr], allRefs[nv+nr:]
	}
	j := 0
	for i := range units {
		u := &units[i]
		for k, it := range u.items {
			if it.Err != nil || u.dropped(k) {
				continue
			}
			g := order[of[j]]
			j++
			if u.out != nil && u.out[k].row != nil {
				g.rows = append(g.rows, u.out[k].row)
			} else {
				g.values = append(g.values, u.data(k))
				g.compact = append(g.compact, u.out != nil && u.out[k].compact)
			}
			g.refs = append(g.refs, ref{i, k})
		}
	}
	return order
}

// batchJobs encodes each group into one object named after its first record, and hands each over to be written
// once encoded. Values the JSON Lines encoder finds not to be JSON are marked invalid here. The uploads have room
// for the quarantine objects that jobs appends after these.
func (p *Processor) batchJobs(ctx context.Context, units []unit) ([]job, [][2]int, *uploads, error) {
	groups := groupByShardPartition(units)
	jobs := make([]job, 0, len(groups))
	spans := make([][2]int, 0, len(groups))
	up := p.uploads(ctx, len(groups)+len(units)) // an object per group, and at most a quarantine object per unit
	for _, g := range groups {
		j, err := p.encodeGroup(units, g)
		if err != nil {
			return nil, nil, up, err
		}
		if len(j.units) == 0 {
			continue // every value was invalid: no object
		}
		jobs = append(jobs, j)
		spans = append(spans, [2]int{j.units[0], j.units[len(j.units)-1]})
		up.add(jobs, len(jobs)-1)
	}
	return jobs, spans, up, nil
}

func (p *Processor) encodeGroup(units []unit, g *group) (job, error) {
	var buf bytes.Buffer
	// Size the output once: the JSON Lines size bounds an uncompressed object, and JSON compresses well beyond 4:1,
	// so a compressed one rarely needs to grow.
	if p.cfg.Compression == config.CompressionNone {
		buf.Grow(g.size)
	} else {
		buf.Grow(g.size/4 + 4096)
	}
	extension, contentType := ".jsonl"+layout.Extension(p.cfg.Compression), layout.ContentType(p.cfg.Compression)
	var rejected []layout.Rejected
	if p.cfg.Format == config.FormatParquet {
		extension, contentType = layout.ParquetExtension, layout.ParquetContentType
		pq, err := p.parquetEncoder()
		if err != nil {
			return job{}, err
		}
		err = pq.Encode(&buf, g.rows)
		p.parquets.Put(pq)
		if err != nil {
			return job{}, fmt.Errorf("encode batch object: %w", err)
		}
	} else {
		enc, err := p.encoder()
		if err != nil {
			return job{}, err
		}
		rejected, err = enc.EncodeCompacted(&buf, g.values, g.compact)
		p.encoders.Put(enc)
		if err != nil {
			return job{}, fmt.Errorf("encode batch object: %w", err)
		}
	}
	for _, r := range rejected {
		units[g.refs[r.Index].unit].items[g.refs[r.Index].item].RejectJSON(r.Err)
	}
	// The records with a line in this object, in order: at most as many as the values' changes of record.
	n := 0
	for k, r := range g.refs {
		if k == 0 || r.unit != g.refs[k-1].unit {
			n++
		}
	}
	members := make([]int, 0, n)
	for _, r := range g.refs {
		if units[r.unit].items[r.item].Err == nil && (len(members) == 0 || members[len(members)-1] != r.unit) {
			members = append(members, r.unit)
		}
	}
	if len(members) == 0 {
		return job{}, nil
	}
	first := units[members[0]]
	return job{
		key:         layout.ObjectKey(p.cfg.KeyPrefix, g.part, first.shard, first.rec.Kinesis.SequenceNumber, extension),
		body:        buf.Bytes(),
		contentType: contentType,
		units:       members,
	}, nil
}

func (p *Processor) encoder() (*layout.Encoder, error) {
	if e, ok := p.encoders.Get().(*layout.Encoder); ok {
		return e, nil
	}
	return layout.NewEncoder(p.cfg.Compression)
}
