package process

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// groupByAppending is groupByShardPartition as it was, growing each group's slices value by value: what the
// two-pass version, which sizes them up front, is held to.
func groupByAppending(units []unit) []*group {
	type shardPartition struct {
		shard, levels string
		hour          int64
	}
	var order []*group
	byKey := map[shardPartition]*group{}
	for i := range units {
		u := &units[i]
		for k, it := range u.items {
			if it.Err != nil || u.dropped(k) {
				continue
			}
			part := u.partition(k)
			key := shardPartition{u.shard, part.Levels, part.Hour.Unix()}
			g := byKey[key]
			if g == nil {
				g = &group{part: part}
				byKey[key] = g
				order = append(order, g)
			}
			if u.out != nil && u.out[k].row != nil {
				g.rows = append(g.rows, u.out[k].row)
			} else {
				g.values = append(g.values, u.data(k))
				g.compact = append(g.compact, u.out != nil && u.out[k].compact)
			}
			g.refs = append(g.refs, ref{i, k})
			g.size += len(u.data(k)) + 1
		}
	}
	return order
}

// unitsOf makes units from spec, two bytes a user record: the first byte's bits choose the shard, the partition
// levels, the arrival hour, whether the record is shaped (and then whether it is dropped, compact, a row), or
// invalid; the second how many user records its Kinesis record has (a new unit starts when it is even).
func unitsOf(spec []byte) []unit {
	base := time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)
	var units []unit
	for i := 0; i+1 < len(spec); i += 2 {
		c, next := spec[i], spec[i+1]
		if len(units) == 0 || next%2 == 0 {
			shaped := c&8 != 0
			units = append(units, unit{shard: fmt.Sprintf("shardId-%012d", c&1), arrival: base.Add(time.Duration(c>>1&3) * 40 * time.Minute)})
			if shaped {
				units[len(units)-1].out = []output{}
			}
		}
		u := &units[len(units)-1]
		it := decode.Item{Data: []byte(fmt.Sprintf(`{"i":%d}`, i)), SubIndex: len(u.items)}
		if c&0x80 != 0 {
			it.Err = errors.New("invalid")
		}
		u.items = append(u.items, it)
		if u.out != nil {
			o := output{data: it.Data, compact: c&16 != 0, dropped: c&32 != 0,
				part: layout.Partition{Levels: []string{"", "tenant=a/"}[c>>2&1], Hour: u.arrival.Truncate(time.Hour)}}
			if c&64 != 0 {
				o.row = parquet.Row{parquet.Int64Value(int64(i))}
			}
			u.out = append(u.out, o)
		}
	}
	return units
}

func sameGroups(t *testing.T, units []unit) {
	t.Helper()
	got, want := groupByShardPartition(units), groupByAppending(units)
	if len(got) != len(want) {
		t.Fatalf("%d groups, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		same := g.part == w.part && g.size == w.size && slices.Equal(g.compact, w.compact) && slices.Equal(g.refs, w.refs) &&
			slices.EqualFunc(g.values, w.values, func(a, b []byte) bool { return &a[0] == &b[0] && len(a) == len(b) }) &&
			slices.EqualFunc(g.rows, w.rows, func(a, b parquet.Row) bool { return &a[0] == &b[0] && len(a) == len(b) })
		if !same {
			t.Fatalf("group %d: %+v\nwant %+v", i, g, w)
		}
		// Appending to one group's slices never reaches into the next one's.
		if cap(g.values) != len(g.values) || cap(g.compact) != len(g.compact) || cap(g.rows) != len(g.rows) || cap(g.refs) != len(g.refs) {
			t.Fatalf("group %d: slices with room to spare: %d/%d values, %d/%d rows, %d/%d refs", i,
				len(g.values), cap(g.values), len(g.rows), cap(g.rows), len(g.refs), cap(g.refs))
		}
	}
}

// The groups, sized up front, are the same as grown value by value: the same values, rows, records and sizes, in
// the same order; records of several shards, partitions and hours interleaved, invalid, dropped and shaped ones.
func FuzzGroupByShardPartition(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 2})
	f.Add([]byte{1, 0, 0, 0, 1, 0, 2, 0, 0x80, 1, 4, 0})
	f.Add([]byte{8, 0, 8 | 16, 1, 8 | 32, 1, 8 | 64, 1, 8 | 4, 0, 8 | 1 | 4, 0, 9, 2, 0x88, 1, 8 | 2, 0})
	f.Add([]byte{2, 0, 4, 0, 6, 0, 0, 0, 3, 0, 0x81, 0, 8 | 64, 0, 8 | 64 | 4, 1, 8 | 16, 1})
	f.Fuzz(func(t *testing.T, spec []byte) { sameGroups(t, unitsOf(spec)) })
}

// A Processor reuses the units of one invocation for the next (see unitTable): what it keeps in between refers to
// nothing of the batch, and a smaller batch after a larger one is processed exactly as by a new Processor.
func TestUnitTableReused(t *testing.T) {
	for _, mode := range []string{"batch", "record"} {
		t.Run(mode, func(t *testing.T) {
			w := newMem()
			p := newProc(t, cfg(mode), w)
			large, small := batch(200), batch(60)
			small[7].Kinesis.Data = []byte("not json") // quarantined
			var kept *[]unit
			for range 20 { // the race detector's sync.Pool drops some of what it is given
				if _, _, err := p.Process(t.Context(), large); err != nil {
					t.Fatal(err)
				}
				if kept, _ = p.unitTables.Get().(*[]unit); kept != nil {
					break
				}
			}
			if kept == nil || cap(*kept) < len(large) {
				t.Fatal("no unit table kept after a batch")
			}
			for i, u := range (*kept)[:cap(*kept)] {
				if u.rec != nil || u.items != nil || u.out != nil || u.jobs != nil || u.shard != "" {
					t.Fatalf("the kept unit %d still refers to the batch: %+v", i, u)
				}
			}
			p.unitTables.Put(kept)
			w.objects = map[string][]byte{}
			resp, m, err := p.Process(t.Context(), small)
			fresh := newMem()
			wantResp, wantM, wantErr := newProc(t, cfg(mode), fresh).Process(t.Context(), small)
			m.Took, wantM.Took = Timings{}, Timings{}
			if err != nil || wantErr != nil || !slices.Equal(failures(resp), failures(wantResp)) || m != wantM {
				t.Fatalf("after a larger batch: %v %+v %v; a new Processor: %v %+v %v", failures(resp), m, err,
					failures(wantResp), wantM, wantErr)
			}
			if !reflect.DeepEqual(w.objects, fresh.objects) || m.RecordsQuarantined != 1 {
				t.Fatalf("after a larger batch wrote %d objects, a new Processor %d (quarantined %d)",
					len(w.objects), len(fresh.objects), m.RecordsQuarantined)
			}
		})
	}
}
