// Package kpl encodes Kinesis Producer Library (KPL) aggregated records: several user records packed into
// one Kinesis record as the 4-byte magic F3 89 9A C2, a protobuf AggregatedRecord and the MD5 of that protobuf.
//
// The protobuf schema (proto2) is:
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4; // never written here
//	}
package kpl

import (
	"crypto/md5"

	"google.golang.org/protobuf/encoding/protowire"
)

// Magic starts every aggregated record; consumers that do not see it treat the record as a plain one.
var Magic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// Protobuf field numbers of the aggregation format.
const (
	fieldPartitionKeyTable    protowire.Number = 1
	fieldExplicitHashKeyTable protowire.Number = 2
	fieldRecords              protowire.Number = 3

	fieldPartitionKeyIndex    protowire.Number = 1
	fieldExplicitHashKeyIndex protowire.Number = 2
	fieldData                 protowire.Number = 3
)

// Overhead is the size the envelope adds around the protobuf: the magic and the MD5 digest.
const Overhead = 4 + md5.Size

// Record is one user record inside an aggregate.
type Record struct {
	PartitionKey    string
	ExplicitHashKey string // empty: none; the record is routed by its partition key
	Data            []byte
}

// Marshal returns the aggregated record holding records, in order. Equal partition keys and explicit hash keys
// are stored once in their tables, as the KPL does.
func Marshal(records []Record) []byte {
	var keys, hashKeys table
	var body []byte
	for _, r := range records {
		var rec []byte
		rec = protowire.AppendTag(rec, fieldPartitionKeyIndex, protowire.VarintType)
		rec = protowire.AppendVarint(rec, keys.index(r.PartitionKey))
		if r.ExplicitHashKey != "" {
			rec = protowire.AppendTag(rec, fieldExplicitHashKeyIndex, protowire.VarintType)
			rec = protowire.AppendVarint(rec, hashKeys.index(r.ExplicitHashKey))
		}
		rec = protowire.AppendTag(rec, fieldData, protowire.BytesType)
		rec = protowire.AppendBytes(rec, r.Data)

		body = protowire.AppendTag(body, fieldRecords, protowire.BytesType)
		body = protowire.AppendBytes(body, rec)
	}

	// Field order in the message does not matter to protobuf decoders; the tables go first like the KPL's output.
	var msg []byte
	for _, k := range keys.values {
		msg = protowire.AppendTag(msg, fieldPartitionKeyTable, protowire.BytesType)
		msg = protowire.AppendString(msg, k)
	}
	for _, k := range hashKeys.values {
		msg = protowire.AppendTag(msg, fieldExplicitHashKeyTable, protowire.BytesType)
		msg = protowire.AppendString(msg, k)
	}
	msg = append(msg, body...)

	sum := md5.Sum(msg)
	out := make([]byte, 0, Overhead+len(msg))
	out = append(out, Magic...)
	out = append(out, msg...)
	return append(out, sum[:]...)
}

// table is a string table that hands out the index of each distinct value in first-seen order.
type table struct {
	values []string
	pos    map[string]uint64
}

func (t *table) index(v string) uint64 {
	if i, ok := t.pos[v]; ok {
		return i
	}
	if t.pos == nil {
		t.pos = make(map[string]uint64)
	}
	i := uint64(len(t.values))
	t.pos[v] = i
	t.values = append(t.values, v)
	return i
}
