package generate

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kpl"
)

// MaxRecordSize is the Kinesis limit on one record: data plus partition key, in bytes.
const MaxRecordSize = 1 << 20

// Kind says what a generated record is. Every kind but json and kpl is deliberately invalid for a consumer that
// expects one JSON value in valid UTF-8 per user record.
type Kind string

// The record kinds.
const (
	KindJSON Kind = "json" // the rendered template
	KindKPL  Kind = "kpl"  // a KPL aggregate of rendered records

	// KindNotJSON is the rendered record cut in half at a character boundary: valid UTF-8, not a JSON document.
	KindNotJSON Kind = "not-json"
	// KindBadUTF8 is the rendered record with the byte 0xFF inserted after its first double quote: JSON-shaped
	// but not UTF-8 (encoding/json's Valid alone accepts it; utf8.Valid does not).
	KindBadUTF8 Kind = "bad-utf8"
	// KindEmpty is a record with zero bytes of data, which Kinesis accepts.
	KindEmpty Kind = "empty"
	// KindBadKPL is a KPL aggregate of two rendered records whose MD5 trailer is corrupted (last byte inverted).
	KindBadKPL Kind = "bad-kpl"
	// KindOversized is valid JSON, {"oversized":true,"record":<rendered>,"padding":"xx..."}, padded so that data
	// plus partition key is exactly MaxRecordSize, the largest record Kinesis accepts. It is invalid only for
	// consumers with a smaller size limit and is not in DefaultInvalidKinds: it costs a shard's whole 1 MiB/s.
	KindOversized Kind = "oversized"
)

// InvalidKinds lists every deliberately invalid kind; DefaultInvalidKinds those --invalid-fraction draws from
// unless told otherwise.
var (
	InvalidKinds        = []Kind{KindNotJSON, KindBadUTF8, KindEmpty, KindBadKPL, KindOversized}
	DefaultInvalidKinds = []Kind{KindNotJSON, KindBadUTF8, KindEmpty, KindBadKPL}
)

// Invalid reports whether k is one of the deliberately invalid kinds.
func (k Kind) Invalid() bool { return slices.Contains(InvalidKinds, k) }

// ParseKinds parses a comma-separated list of invalid kinds.
func ParseKinds(s string) ([]Kind, error) {
	var kinds []Kind
	for _, name := range strings.Split(s, ",") {
		k := Kind(strings.TrimSpace(name))
		if !k.Invalid() {
			return nil, fmt.Errorf("unknown invalid-record kind %q (want some of %s)", k, KindList(InvalidKinds))
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// KindList joins kinds with commas, as ParseKinds reads them.
func KindList(kinds []Kind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

// Record is one generated Kinesis record.
type Record struct {
	Index        int64 // ordinal in the run, from 0
	Kind         Kind
	PartitionKey string
	Data         []byte
	// SubRecords are the user records inside a kpl or bad-kpl aggregate.
	SubRecords []SubRecord
	// Late says its event time lags the clock (Options.LateFraction).
	Late bool
}

// SubRecord is one user record inside a KPL aggregate.
type SubRecord struct {
	PartitionKey string
	Data         []byte
}

// size is what the record counts against the Kinesis per-record and per-request limits.
func (r *Record) size() int { return len(r.Data) + len(r.PartitionKey) }

// Options configure a Generator.
type Options struct {
	// TemplateName names the template in errors; Template is its text.
	TemplateName, Template string
	// PartitionKey is the partition-key template; empty means DefaultPartitionKey.
	PartitionKey string
	// Seed makes the data reproducible; 0 picks a random seed (see Generator.Seed).
	Seed uint64
	// Now is the event clock, read once per Kinesis record; nil means time.Now. With a fixed clock and seed the
	// output is byte-for-byte reproducible.
	Now func() time.Time
	// InvalidFraction of the records are of a deliberately invalid kind drawn uniformly from InvalidKinds
	// (nil: DefaultInvalidKinds); KPLFraction are KPL aggregates of KPLRecords rendered records each.
	InvalidFraction float64
	InvalidKinds    []Kind
	KPLFraction     float64
	KPLRecords      int
	// LateFraction of the Kinesis records are late: their event time lags the clock by a uniform amount in
	// (0, LateBy], so that they belong to earlier hours than the records around them. Disorder moves every
	// record's event time back by a uniform amount in [0, Disorder): records arrive out of order. The shifts come
	// from their own random source, so the same seed renders the same records with or without them.
	LateFraction float64
	LateBy       time.Duration
	Disorder     time.Duration
}

// DefaultKPLRecords is the number of user records per aggregate unless Options.KPLRecords says otherwise.
const DefaultKPLRecords = 10

// Generator produces records from a template. It is deterministic for a given seed and clock and not safe for
// concurrent use.
type Generator struct {
	opts   Options
	seed   uint64
	faker  *gofakeit.Faker
	r      *renderer
	next   int64
	shifts *mrand.Rand // late and out-of-order event times
}

// NewGenerator checks the options and parses the templates.
func NewGenerator(o Options) (*Generator, error) {
	if o.InvalidFraction < 0 || o.KPLFraction < 0 || o.InvalidFraction+o.KPLFraction > 1 {
		return nil, fmt.Errorf("invalid fraction %g and KPL fraction %g must be non-negative and add up to at most 1", o.InvalidFraction, o.KPLFraction)
	}
	if o.LateFraction < 0 || o.LateFraction > 1 || (o.LateFraction > 0 && o.LateBy <= 0) || o.LateBy < 0 || o.Disorder < 0 {
		return nil, fmt.Errorf("late fraction %g must be 0-1 and needs a positive lag (%s); the disorder (%s) must not be negative", o.LateFraction, o.LateBy, o.Disorder)
	}
	if o.KPLRecords < 0 {
		return nil, fmt.Errorf("KPL records per aggregate %d must be positive", o.KPLRecords)
	}
	if o.KPLRecords == 0 {
		o.KPLRecords = DefaultKPLRecords
	}
	if o.InvalidKinds == nil {
		o.InvalidKinds = DefaultInvalidKinds
	}
	for _, k := range o.InvalidKinds {
		if !k.Invalid() {
			return nil, fmt.Errorf("%q is not an invalid-record kind (want some of %s)", k, KindList(InvalidKinds))
		}
	}
	if len(o.InvalidKinds) == 0 && o.InvalidFraction > 0 {
		return nil, errors.New("an invalid fraction needs at least one invalid-record kind")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	seed := o.Seed
	for seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		seed = binary.LittleEndian.Uint64(b[:])
	}
	faker := gofakeit.New(seed)
	r, err := newRenderer(o.TemplateName, o.Template, o.PartitionKey, faker)
	if err != nil {
		return nil, err
	}
	return &Generator{opts: o, seed: seed, faker: faker, r: r, shifts: mrand.New(mrand.NewPCG(seed, 0x1a7e))}, nil
}

// Seed returns the seed in use, so that a run with a random seed can be repeated.
func (g *Generator) Seed() uint64 { return g.seed }

// Next generates the next record. An error means the template cannot produce a valid record (it rendered
// invalid JSON, a bad partition key, or more than Kinesis accepts); it is not retried.
func (g *Generator) Next() (Record, error) {
	index := g.next
	g.next++
	now, late := g.eventTime()

	kind := KindJSON
	switch u := g.faker.Float64(); {
	case u < g.opts.InvalidFraction:
		kind = g.opts.InvalidKinds[g.faker.IntN(len(g.opts.InvalidKinds))]
	case u < g.opts.InvalidFraction+g.opts.KPLFraction:
		kind = KindKPL
	}

	rec := Record{Index: index, Kind: kind, Late: late}
	var err error
	switch kind {
	case KindKPL:
		err = g.aggregate(&rec, now, g.opts.KPLRecords)
	case KindBadKPL:
		if err = g.aggregate(&rec, now, 2); err == nil {
			rec.Data[len(rec.Data)-1] ^= 0xFF
		}
	default:
		rec.Data, rec.PartitionKey, err = g.r.render(index, now)
		if err == nil {
			err = corrupt(&rec)
		}
	}
	if err != nil {
		return Record{}, err
	}
	if rec.size() > MaxRecordSize {
		return Record{}, fmt.Errorf("record %d is %d bytes with its partition key; Kinesis accepts at most %d", index, rec.size(), MaxRecordSize)
	}
	return rec, nil
}

// aggregate fills rec with a KPL aggregate of up to n rendered records, fewer if n would not fit in one Kinesis
// record. The Kinesis record takes the first user record's partition key, as the KPL does.
func (g *Generator) aggregate(rec *Record, now time.Time, n int) error {
	var subs []kpl.Record
	size := kpl.Overhead
	for range n {
		data, key, err := g.r.render(rec.Index, now)
		if err != nil {
			return err
		}
		// An upper bound on what the record adds to the protobuf (tags and lengths take at most 24 bytes); the
		// Kinesis record also carries the first partition key, which counts against the same limit.
		add := len(data) + len(key) + 24
		if len(subs) > 0 && size+add+len(subs[0].PartitionKey) > MaxRecordSize {
			break
		}
		size += add
		subs = append(subs, kpl.Record{PartitionKey: key, Data: data})
		rec.SubRecords = append(rec.SubRecords, SubRecord{PartitionKey: key, Data: data})
	}
	rec.PartitionKey = subs[0].PartitionKey
	rec.Data = kpl.Marshal(subs)
	return nil
}

// corrupt turns the rendered record in rec into its invalid kind.
func corrupt(rec *Record) error {
	switch rec.Kind {
	case KindNotJSON:
		half := len(rec.Data) / 2
		for half > 0 && !utf8.RuneStart(rec.Data[half]) {
			half--
		}
		rec.Data = rec.Data[:half]
		if validJSON(rec.Data) == nil { // a template of a bare number or literal can survive the cut
			rec.Data = append(rec.Data, ',')
		}
	case KindBadUTF8:
		i := bytes.IndexByte(rec.Data, '"') + 1 // 0 when there is no quote: then the record starts with 0xFF
		rec.Data = slices.Insert(rec.Data, i, 0xFF)
	case KindEmpty:
		rec.Data = []byte{}
	case KindOversized:
		head := `{"oversized":true,"record":` + string(rec.Data) + `,"padding":"`
		tail := `"}`
		pad := MaxRecordSize - len(rec.PartitionKey) - len(head) - len(tail)
		if pad < 0 {
			return fmt.Errorf("record %d: too large to wrap as an oversized record", rec.Index)
		}
		rec.Data = []byte(head + strings.Repeat("x", pad) + tail)
	}
	return nil
}

// eventTime reads the clock and moves the time back for disorder and lateness (Options.LateFraction).
func (g *Generator) eventTime() (t time.Time, late bool) {
	t = g.opts.Now()
	if g.opts.Disorder > 0 {
		t = t.Add(-time.Duration(g.shifts.Int64N(int64(g.opts.Disorder))))
	}
	if g.opts.LateFraction > 0 && g.shifts.Float64() < g.opts.LateFraction {
		t = t.Add(-1 - time.Duration(g.shifts.Int64N(int64(g.opts.LateBy))))
		late = true
	}
	return t, late
}
