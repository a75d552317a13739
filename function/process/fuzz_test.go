package process

import (
	"context"
	"encoding/binary"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/decode"
)

// fuzzEvent packs records' data as the fuzz target reads it: each one's length as a uvarint, then the bytes.
func fuzzEvent(data ...[]byte) []byte {
	var b []byte
	for _, d := range data {
		b = binary.AppendUvarint(b, uint64(len(d)))
		b = append(b, d...)
	}
	return b
}

// fuzzRecords unpacks fuzzEvent's format; a length that runs past the end takes what is left.
func fuzzRecords(event []byte) []events.KinesisEventRecord {
	var rs []events.KinesisEventRecord
	for len(event) > 0 {
		n, k := binary.Uvarint(event)
		if k <= 0 || n > uint64(len(event)-k) {
			n, k = uint64(len(event)), 0
		}
		rs = append(rs, rec("shardId-000000000000", len(rs), t0, string(event[k:k+int(n)])))
		event = event[k+int(n):]
	}
	return rs
}

// FuzzProcess feeds whole events to the core of a 128 MB function and holds what one invocation allocates to a
// bound set by its budget and its input, whatever the event: gzip bombs, aggregates of bombs, aggregates with
// thousands of invalid user records and long keys, deep nesting, thousands of tiny records. What is allocated
// bounds the peak heap from above. It also checks the outcome: no error, a checkpoint inside the batch, and every
// user record accounted for when nothing is left for a retry.
func FuzzProcess(f *testing.F) {
	nested := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	escapes := `"` + strings.Repeat(`\u0000\n\"`, 20000) + `"`
	tiny := make([][]byte, 10000)
	for i := range tiny {
		tiny[i] = []byte{"0123456789x"[i%11]}
	}
	empties := make([]string, 2000)
	bomb, big, over := gzBomb(1<<20), gzBomb(5<<20), gzBomb(8<<20)
	bombs := slices.Repeat([]string{string(bomb)}, 40)
	many := slices.Repeat([][]byte{bomb}, 200)
	for _, flags := range []byte{0, 1, 5, 8, 17} { // modes, compressions and policies
		f.Add(flags, fuzzEvent([]byte(`{"a":1}`), []byte("not json"), gzBomb(100)))
		f.Add(flags, fuzzEvent(over, big, big, big, []byte(`{}`)))
		f.Add(flags, fuzzEvent([]byte(kpl([]string{strings.Repeat("\x01", 1024)}, empties...))))
		f.Add(flags, fuzzEvent([]byte(kpl([]string{"k"}, make([]string, decode.MaxSubRecords+1)...))))
		f.Add(flags, fuzzEvent([]byte(kpl([]string{"k"}, bombs...)), []byte(nested), []byte(escapes)))
		f.Add(flags, fuzzEvent(tiny...))
		f.Add(flags, fuzzEvent(many...))
	}
	f.Fuzz(func(t *testing.T, flags byte, event []byte) {
		c := cfg([]string{"record", "batch"}[flags&1])
		c.Compression = []string{"gzip", "zstd", "none", "gzip"}[flags>>1&3]
		c.OnInvalidRecord = []string{"quarantine", "skip", "fail", "quarantine"}[flags>>3&3]
		c.MemoryMB = 128
		p, err := New(c, discard{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rs := fuzzRecords(event)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		resp, m, err := p.Process(context.Background(), rs)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		b := budget.For(c.MemoryMB)
		limit := 4*b.Invocation + 2*b.Record + 8*int64(len(event)) + 4096*int64(len(rs)) + 4<<20
		if alloc := int64(after.TotalAlloc - before.TotalAlloc); alloc > limit {
			t.Fatalf("%d records of %d bytes: %d bytes allocated, over the bound %d", len(rs), len(event), alloc, limit)
		}
		switch len(resp.BatchItemFailures) {
		case 0:
			if n := m.RecordsWritten + m.RecordsQuarantined + m.RecordsSkipped; len(rs) > 0 && n != m.UserRecords {
				t.Fatalf("nothing left for a retry, yet %d of %d user records accounted for: %+v", n, m.UserRecords, m)
			}
		case 1:
			seqs := make([]string, len(rs))
			for i, r := range rs {
				seqs[i] = r.Kinesis.SequenceNumber
			}
			if !slices.Contains(seqs, resp.BatchItemFailures[0].ItemIdentifier) {
				t.Fatalf("checkpoint %s is no record of the batch", resp.BatchItemFailures[0].ItemIdentifier)
			}
		default:
			t.Fatalf("%d batch item failures; the handler reports one checkpoint", len(resp.BatchItemFailures))
		}
	})
}
