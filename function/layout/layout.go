// Package layout decides where records go in the bucket and how a batch is encoded: object keys for record mode,
// batch mode and quarantine, and JSON Lines with optional gzip or zstd compression.
//
// Keys derive only from the records (shard, sequence numbers, arrival time), never from the wall clock, so a retried
// invocation overwrites the objects of the failed one instead of duplicating them.
package layout

import (
	"strconv"
	"strings"
	"time"
)

// RecordKey is the record-mode key: <prefix><sequenceNumber>.json, exactly as the original design, or
// <prefix><sequenceNumber>-<sub>.json for the user records of a KPL aggregated record (sub >= 0).
func RecordKey(prefix, seq string, sub int) string {
	if sub < 0 {
		return prefix + seq + ".json"
	}
	return prefix + seq + "-" + strconv.Itoa(sub) + ".json"
}

// QuarantineKey is where an invalid record is kept for inspection and replay:
// <prefix>year=YYYY/month=MM/day=DD/hour=HH/<shardId>-<sequenceNumber>.json. It is one object per Kinesis record, in
// both modes: the invalid user records of a KPL aggregate are listed in its body, not given keys of their own.
func QuarantineKey(prefix string, arrival time.Time, shardID, seq string) string {
	return prefix + hourPartition(arrival) + shardID + "-" + seq + ".json"
}

// ProgressKey is where record mode keeps its progress through a large KPL aggregate, for the retry to resume from:
// <prefix>_progress/<shardId>-<sequenceNumber>.json. Query engines skip paths that start with an underscore, so
// the markers do not show up as quarantined records.
func ProgressKey(prefix, shardID, seq string) string {
	return prefix + "_progress/" + shardID + "-" + seq + ".json"
}

// hourPartition is year=YYYY/month=MM/day=DD/hour=HH/ of t in UTC (written out by hand: it is on every record's path).
func hourPartition(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 41)
	b = append(b, "year="...)
	b = appendDigits(b, t.Year(), 4)
	b = append(b, "/month="...)
	b = appendDigits(b, int(t.Month()), 2)
	b = append(b, "/day="...)
	b = appendDigits(b, t.Day(), 2)
	b = append(b, "/hour="...)
	b = appendDigits(b, t.Hour(), 2)
	return string(append(b, '/'))
}

// appendDigits appends n (0 <= n < 10^width) in width digits.
func appendDigits(b []byte, n, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		b = append(b, 0)
	}
	for i := len(b) - 1; i >= len(b)-width; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}

// Extension is the file extension a compression adds after .jsonl.
func Extension(compression string) string {
	switch compression {
	case "gzip":
		return ".gz"
	case "zstd":
		return ".zst"
	}
	return ""
}

// ContentType is the Content-Type of a batch object. Compressed objects are stored as what they are (no
// Content-Encoding), so every client downloads the same bytes that the key's extension promises.
func ContentType(compression string) string {
	switch compression {
	case "gzip":
		return "application/gzip"
	case "zstd":
		return "application/zstd"
	}
	return "application/x-ndjson"
}

// MaxKeyBytes is the longest key S3 takes, in bytes of UTF-8: a longer one fails every PUT (KeyTooLongError), and
// no retry mends it.
const MaxKeyBytes = 1024

// The longest parts a key takes from Kinesis, as its API reference bounds them (ShardId: 128 characters,
// SequenceNumber: 0|[1-9]\d{0,128}), and from a KPL aggregate (the index of a user record, an int32 at most).
const (
	MaxShardIDBytes   = 128
	MaxSequenceDigits = 129
	maxSubIndex       = 1<<31 - 1
)

// The longest of each part, in the key functions above, for LongestDataKey and LongestErrorKey.
var (
	longestShardID  = strings.Repeat("s", MaxShardIDBytes)
	longestSequence = strings.Repeat("9", MaxSequenceDigits)
	anyHour         = time.Date(MaxEventYear, 12, 31, 23, 0, 0, 0, time.UTC) // every hour is as long
)

// LongestDataKey is the length of the longest key of a data object under keyPrefix: in batch mode with the
// PARTITION_KEYS levels of keys, each value at MaxValueBytes, and the longest extension; else in record mode.
// Shard ids and sequence numbers are at their longest.
func LongestDataKey(keyPrefix string, batch bool, keys []PartitionKey) int {
	if !batch {
		return len(RecordKey(keyPrefix, longestSequence, maxSubIndex))
	}
	var levels strings.Builder
	for _, k := range keys {
		levels.WriteString(k.Name + "=" + strings.Repeat("v", MaxValueBytes) + "/")
	}
	extension := ParquetExtension
	for _, c := range []string{"gzip", "zstd", "none"} {
		if e := ".jsonl" + Extension(c); len(e) > len(extension) {
			extension = e
		}
	}
	return len(ObjectKey(keyPrefix, Partition{Levels: levels.String(), Hour: anyHour}, longestShardID, longestSequence, extension))
}

// LongestErrorKey is the length of the longest key under errorPrefix: a quarantine object's, or a progress
// marker's.
func LongestErrorKey(errorPrefix string) int {
	return max(len(QuarantineKey(errorPrefix, anyHour, longestShardID, longestSequence)),
		len(ProgressKey(errorPrefix, longestShardID, longestSequence)))
}
