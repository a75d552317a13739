package decode

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// KPL aggregated record format: the 4-byte magic, a protobuf AggregatedRecord, then the MD5 digest of the
// protobuf bytes.
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
//	  repeated Tag    tags                    = 4;
//	}
var kplMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// Limits on an aggregate, checked while it is read, before anything is allocated for what lies beyond them. An
// aggregate over either is invalid as a whole.
const (
	// MaxSubRecords bounds the user records in one aggregate. The KPL's default AggregationMaxSize (51,200 bytes)
	// cannot hold more than 8,533 (a user record costs at least 6 bytes), and a 1 MiB aggregate reaches 10,000 only
	// with user records under 100 bytes. A hostile 1 MiB record could otherwise carry 174,762, each an object to
	// write in record mode.
	MaxSubRecords = 10_000
	// MaxPartitionKey bounds a partition key in an aggregate's key table, in bytes. Kinesis accepts keys of up to
	// 256 characters, at most 4 bytes each in UTF-8, so every key a producer could have put fits. A key that is
	// not valid UTF-8 is allowed: keys are not written anywhere but in the raw record a quarantine keeps.
	MaxPartitionKey = 1024
)

// SubRecord is one user record inside a KPL aggregated record.
type SubRecord struct {
	PartitionKey string
	Data         []byte
}

// IsAggregated reports whether data starts with the KPL magic bytes.
func IsAggregated(data []byte) bool { return bytes.HasPrefix(data, kplMagic) }

// Deaggregate splits a KPL aggregated record into its user records. The returned Data slices alias data.
func Deaggregate(data []byte) ([]SubRecord, error) {
	if len(data) < len(kplMagic)+md5.Size {
		return nil, errors.New("KPL aggregated record: truncated (shorter than magic and MD5)")
	}
	msg := data[len(kplMagic) : len(data)-md5.Size]
	sum := md5.Sum(msg)
	if !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return nil, errors.New("KPL aggregated record: MD5 digest does not match")
	}

	var keys []string
	var subs []SubRecord
	var keyIndexes []uint64
	err := fields(msg, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			if len(v) > MaxPartitionKey {
				return fmt.Errorf("partition key %d is %d bytes; at most %d are allowed", len(keys), len(v), MaxPartitionKey)
			}
			if len(keys) == MaxSubRecords {
				return fmt.Errorf("more than %d partition keys", MaxSubRecords)
			}
			keys = append(keys, string(v))
		case num == 3 && typ == protowire.BytesType:
			if len(subs) == MaxSubRecords {
				return fmt.Errorf("more than %d user records", MaxSubRecords)
			}
			s, idx, err := subRecord(v)
			if err != nil {
				return fmt.Errorf("record %d: %w", len(subs), err)
			}
			subs = append(subs, s)
			keyIndexes = append(keyIndexes, idx)
		}
		return nil // explicit hash keys and unknown fields do not matter here
	})
	if err != nil {
		return nil, fmt.Errorf("KPL aggregated record: %w", err)
	}
	if len(subs) == 0 {
		return nil, errors.New("KPL aggregated record: contains no records")
	}
	for i, idx := range keyIndexes {
		if idx >= uint64(len(keys)) {
			return nil, fmt.Errorf("KPL aggregated record: record %d: partition key index %d out of range (table has %d)", i, idx, len(keys))
		}
		subs[i].PartitionKey = keys[idx]
	}
	return subs, nil
}

func subRecord(b []byte) (SubRecord, uint64, error) {
	var s SubRecord
	var keyIndex uint64
	var haveKey, haveData bool
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			n, l := protowire.ConsumeVarint(v)
			if l < 0 {
				return protowire.ParseError(l)
			}
			keyIndex, haveKey = n, true
		case num == 3 && typ == protowire.BytesType:
			s.Data, haveData = v, true
		}
		return nil
	})
	switch {
	case err != nil:
		return s, 0, err
	case !haveKey:
		return s, 0, errors.New("missing partition_key_index")
	case !haveData:
		return s, 0, errors.New("missing data")
	}
	return s, keyIndex, nil
}

// fields walks the top-level fields of a protobuf message. For bytes fields v is the payload; for varints v is the
// encoded varint; other wire types are skipped over.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("malformed protobuf: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		switch typ {
		case protowire.BytesType:
			payload, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return fmt.Errorf("malformed protobuf field %d: %w", num, protowire.ParseError(m))
			}
			v, n = payload, m
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return fmt.Errorf("malformed protobuf field %d: %w", num, protowire.ParseError(m))
			}
			v, n = b[:m], m
		}
		if err := fn(num, typ, v); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
