// Package layout decides where records go in the bucket and how a batch is encoded: object keys for record mode,
// batch mode and quarantine, and JSON Lines with optional gzip or zstd compression.
//
// Keys derive only from the records (shard, sequence numbers, arrival time), never from the wall clock, so a retried
// invocation overwrites the objects of the failed one instead of duplicating them.
package layout

import (
	"fmt"
	"strconv"
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
// <prefix>year=YYYY/month=MM/day=DD/hour=HH/<shardId>-<sequenceNumber>[-<sub>].json.
func QuarantineKey(prefix string, arrival time.Time, shardID, seq string, sub int) string {
	name := shardID + "-" + seq
	if sub >= 0 {
		name += "-" + strconv.Itoa(sub)
	}
	return prefix + hourPartition(arrival) + name + ".json"
}

// ProgressKey is where record mode keeps its progress through a large KPL aggregate, for the retry to resume from:
// <prefix>_progress/<shardId>-<sequenceNumber>.json. Query engines skip paths that start with an underscore, so
// the markers do not show up as quarantined records.
func ProgressKey(prefix, shardID, seq string) string {
	return prefix + "_progress/" + shardID + "-" + seq + ".json"
}

func hourPartition(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("year=%04d/month=%02d/day=%02d/hour=%02d/", t.Year(), int(t.Month()), t.Day(), t.Hour())
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
