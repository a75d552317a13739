// Package decode turns the data of one Kinesis record into the user records it carries: it de-aggregates records
// written by the Kinesis Producer Library (KPL), decompresses gzip data (for example CloudWatch Logs subscription
// payloads), and checks that each user record is exactly one JSON value in valid UTF-8.
//
// A record that fails is never dropped here: it comes back as an Item with Err set and the bytes to quarantine, so
// the caller can apply its invalid-record policy.
package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
)

// MaxDecompressed bounds the size of gzip-decompressed data, so a small hostile record cannot exhaust the
// function's memory.
const MaxDecompressed = 64 << 20

// Item is one user record, or the reason it is unusable.
type Item struct {
	// Data is the JSON value as the producer sent it (after de-aggregation and decompression), not re-encoded.
	// When Err is set, Data is the raw bytes to quarantine: the whole Kinesis record's data, or the KPL sub-record's.
	Data []byte
	// Raw is the bytes as received for this user record (before decompression): what a quarantine keeps.
	Raw          []byte
	PartitionKey string
	// SubIndex is the position within a KPL aggregated record, or -1 for a plain record.
	SubIndex int
	// Err says why the record is unusable; nil for a valid record.
	Err error
}

// Record decodes the data of one Kinesis record whose partition key is partitionKey. It returns at least one item.
func Record(data []byte, partitionKey string) []Item { return record(data, partitionKey, true) }

// Unpacked is Record without the JSON grammar check, for a caller that checks the grammar itself in a pass it
// makes anyway (batch mode validates while it compacts): it reports what it finds with RejectJSON.
func Unpacked(data []byte, partitionKey string) []Item { return record(data, partitionKey, false) }

func record(data []byte, partitionKey string, checkJSON bool) []Item {
	if IsAggregated(data) {
		subs, err := Deaggregate(data)
		if err != nil {
			return []Item{{Data: data, Raw: data, PartitionKey: partitionKey, SubIndex: -1, Err: err}}
		}
		items := make([]Item, len(subs))
		for i, s := range subs {
			items[i] = userRecord(s.Data, s.PartitionKey, i, checkJSON)
		}
		return items
	}
	return []Item{userRecord(data, partitionKey, -1, checkJSON)}
}

func userRecord(data []byte, partitionKey string, sub int, checkJSON bool) Item {
	it := Item{Data: data, Raw: data, PartitionKey: partitionKey, SubIndex: sub}
	value := data
	if isGzip(data) {
		d, err := gunzip(data)
		if err != nil {
			it.Err = err
			return it
		}
		value = d
	}
	err := checkText(value)
	if err == nil && checkJSON {
		err = checkJSONText(value)
	}
	it.Data = value
	if err != nil {
		it.reject(err)
	}
	return it
}

// RejectJSON marks an item from Unpacked invalid for the JSON syntax error err.
func (it *Item) RejectJSON(err error) { it.reject(jsonError(err)) }

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
	if len(bytes.TrimSpace(b)) == 0 {
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

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxDecompressed+1))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if len(out) > MaxDecompressed {
		return nil, fmt.Errorf("gzip: decompressed data exceeds %d MiB", MaxDecompressed>>20)
	}
	return out, nil
}
