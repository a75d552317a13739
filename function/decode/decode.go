// Package decode turns the data of one Kinesis record into the user records it carries: it de-aggregates records
// written by the Kinesis Producer Library (KPL), decompresses gzip data (for example CloudWatch Logs subscription
// payloads), and checks that each user record is exactly one JSON value in valid UTF-8.
//
// A record that fails is never dropped here: it comes back as an Item with Err set and the bytes to quarantine, so
// the caller can apply its invalid-record policy. What decoding may hold is bounded (Decoder): a record that would
// not fit in the invocation's budget is left for the next invocation, one that would fit in none is invalid.
package decode

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
)

// MaxDecompressed caps the decompressed bytes of one Kinesis record whatever the memory: a larger single value is
// no JSON anyone should write to S3 as one object or one line.
const MaxDecompressed = 64 << 20

// ItemCost is what a Decoder charges its budget for each user record, besides its decompressed bytes: the
// bookkeeping the handler keeps per user record (the item, its job and key, its line reference), with room to spare.
const ItemCost = 512

// ErrBudget means that the invocation's budget cannot hold a record. It is not the record's fault: the record and
// those after it are for the next invocation, which starts with a fresh budget.
var ErrBudget = errors.New("the invocation's memory budget cannot hold this record")

// Item is one user record, or the reason it is unusable.
type Item struct {
	// Data is the JSON value as the producer sent it (after de-aggregation and decompression), not re-encoded.
	// When Err is set, Data is the raw bytes to quarantine: the whole Kinesis record's data, or the KPL sub-record's.
	Data []byte
	// Raw is the bytes as received for this user record (before decompression).
	Raw          []byte
	PartitionKey string
	// SubIndex is the position within a KPL aggregated record, or -1 for a plain record.
	SubIndex int
	// Err says why the record is unusable; nil for a valid record.
	Err error
}

// Decoder decodes the records of one invocation within its budget. It is not safe for concurrent use.
type Decoder struct {
	// Budget is what the invocation may still hold: decompressed bytes plus ItemCost per user record.
	Budget int64
	// RecordLimit caps the decompressed bytes of one Kinesis record, its user records together. It must leave
	// room in a fresh Budget for the bookkeeping of MaxSubRecords user records, so that the first record of an
	// invocation always fits.
	RecordLimit int64
	// SkipJSON leaves the JSON grammar to the caller, for one that checks it in a pass it makes anyway (batch
	// mode validates while it compacts) and reports what it finds with RejectJSON. Text problems are still found.
	SkipJSON bool

	gz    gunzipper
	block []Item // items not handed out yet, for plain records (see one)
}

// one returns a slice of one item, cut from a block allocated for many: a plain record, by far the most common kind,
// costs no allocation of its own.
func (d *Decoder) one() []Item {
	if len(d.block) == 0 {
		d.block = make([]Item, 256)
	}
	items := d.block[:1:1]
	d.block = d.block[1:]
	return items
}

// Record decodes the data of one Kinesis record whose partition key is partitionKey into at least one item. It
// returns ErrBudget, and spends nothing, when the invocation's budget cannot hold the record.
func (d *Decoder) Record(data []byte, partitionKey string) ([]Item, error) {
	items := d.one()
	items[0] = Item{Data: data, Raw: data, PartitionKey: partitionKey, SubIndex: -1}
	if IsAggregated(data) {
		subs, err := Deaggregate(data)
		if err != nil {
			items[0].Err = err
			return items, d.spend(ItemCost)
		}
		items = make([]Item, len(subs))
		for i, s := range subs {
			items[i] = Item{Data: s.Data, Raw: s.Data, PartitionKey: s.PartitionKey, SubIndex: i}
		}
	}
	cost := int64(len(items)) * ItemCost
	if cost > d.Budget {
		return nil, ErrBudget
	}
	a := allowance{record: d.RecordLimit, invocation: d.Budget - cost}
	for i := range items {
		if err := d.userRecord(&items[i], &a); err != nil {
			return nil, err
		}
	}
	return items, d.spend(cost + a.used)
}

func (d *Decoder) spend(n int64) error {
	if n > d.Budget {
		return ErrBudget
	}
	d.Budget -= n
	return nil
}

// allowance tracks the decompressed bytes one record may still take: from its own limit and from the invocation's.
type allowance struct {
	record, invocation, used int64
}

// userRecord decompresses and checks one item in place. Its error is ErrBudget only: the item's own problems go
// into it.Err.
func (d *Decoder) userRecord(it *Item, a *allowance) error {
	if isGzip(it.Raw) {
		limit := min(a.record, a.invocation)
		out, err := d.gz.decompress(it.Raw, limit)
		switch {
		case errors.Is(err, errTooLarge) && a.invocation < a.record:
			return ErrBudget // it might fit a fresh budget: the next invocation decides
		case errors.Is(err, errTooLarge):
			it.Err = fmt.Errorf("gzip: decompressed data exceeds %d bytes, the limit for one Kinesis record (its user records together) at this memory size", d.RecordLimit)
			return nil
		case err != nil:
			it.Err = err
			return nil
		}
		it.Data = out
		a.record -= int64(len(out))
		a.invocation -= int64(len(out))
		a.used += int64(len(out))
	}
	err := checkText(it.Data)
	if err == nil && !d.SkipJSON {
		err = checkJSONText(it.Data)
	}
	if err != nil {
		it.reject(err)
	}
	return nil
}

// IsPlain reports whether data is decoded as it is, neither a KPL aggregate nor gzip: checking it costs about as
// much as reading it once.
func IsPlain(data []byte) bool { return !IsAggregated(data) && !isGzip(data) }

// Record decodes one record with no invocation budget and the largest record limit: for callers outside the
// handler (tests, tools) that want the handler's verdict on a record.
func Record(data []byte, partitionKey string) []Item {
	d := Decoder{Budget: math.MaxInt64, RecordLimit: MaxDecompressed}
	items, _ := d.Record(data, partitionKey) // cannot run out of an unlimited budget
	return items
}

// RejectJSON marks an item decoded with SkipJSON invalid for the JSON syntax error err.
func (it *Item) RejectJSON(err error) { it.reject(jsonError(err)) }

// Reject marks an item invalid for a reason found after decoding (a schema, a transform).
func (it *Item) Reject(err error) { it.reject(err) }

func (it *Item) reject(err error) {
	if len(it.Data) != len(it.Raw) || (len(it.Raw) > 0 && &it.Data[0] != &it.Raw[0]) {
		err = fmt.Errorf("gzip-decompressed data: %w", err)
	}
	it.Err = err
	it.Data = it.Raw
}

// Validate checks that b is exactly one JSON value in valid UTF-8 (surrounding white space allowed).
func Validate(b []byte) error {
	if err := checkText(b); err != nil {
		return err
	}
	return checkJSONText(b)
}

func checkText(b []byte) error {
	// A first byte of ASCII other than a space or control character is a value: no need to trim the rest.
	if len(b) == 0 || (b[0] <= ' ' || b[0] >= utf8.RuneSelf) && len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty record: no JSON value")
	}
	if !utf8.Valid(b) {
		return fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8Offset(b))
	}
	return nil
}

func checkJSONText(b []byte) error {
	if err := jsoncompact.Validate(b); err != nil {
		return jsonError(err)
	}
	return nil
}

func jsonError(err error) error { return fmt.Errorf("invalid JSON: %w", err) }

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
