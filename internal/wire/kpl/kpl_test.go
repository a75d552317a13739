package kpl

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// decoded is an aggregate read back by hand from its wire bytes, independent of Marshal.
type decoded struct {
	keys, hashKeys []string
	records        []decodedRecord
}

type decodedRecord struct {
	keyIndex, hashKeyIndex uint64
	hasHashKey             bool
	data                   []byte
}

func decode(t *testing.T, b []byte) decoded {
	t.Helper()
	if len(b) < Overhead || !bytes.Equal(b[:4], []byte{0xF3, 0x89, 0x9A, 0xC2}) {
		t.Fatalf("aggregate does not start with the KPL magic: % x", b[:min(len(b), 4)])
	}
	msg, sum := b[4:len(b)-md5.Size], b[len(b)-md5.Size:]
	if want := md5.Sum(msg); !bytes.Equal(sum, want[:]) {
		t.Fatalf("MD5 trailer % x, want % x", sum, want)
	}
	var d decoded
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 || typ != protowire.BytesType {
			t.Fatalf("bad tag in AggregatedRecord: num %d type %d n %d", num, typ, n)
		}
		msg = msg[n:]
		v, n := protowire.ConsumeBytes(msg)
		if n < 0 {
			t.Fatalf("bad length-delimited field %d", num)
		}
		msg = msg[n:]
		switch num {
		case 1:
			d.keys = append(d.keys, string(v))
		case 2:
			d.hashKeys = append(d.hashKeys, string(v))
		case 3:
			d.records = append(d.records, decodeRecord(t, v))
		default:
			t.Fatalf("unexpected AggregatedRecord field %d", num)
		}
	}
	return d
}

func decodeRecord(t *testing.T, b []byte) decodedRecord {
	t.Helper()
	var r decodedRecord
	var sawKey, sawData bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal("bad tag in Record")
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			r.keyIndex, n = protowire.ConsumeVarint(b)
			sawKey = true
		case num == 2 && typ == protowire.VarintType:
			r.hashKeyIndex, n = protowire.ConsumeVarint(b)
			r.hasHashKey = true
		case num == 3 && typ == protowire.BytesType:
			var v []byte
			v, n = protowire.ConsumeBytes(b)
			r.data = append([]byte{}, v...)
			sawData = true
		default:
			t.Fatalf("unexpected Record field %d type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("bad value for Record field %d", num)
		}
		b = b[n:]
	}
	if !sawKey || !sawData {
		t.Fatalf("Record lacks a required field: partition_key_index %v data %v", sawKey, sawData)
	}
	return r
}

func TestMarshalDecodesBack(t *testing.T) {
	in := []Record{
		{PartitionKey: "alpha", Data: []byte(`{"n":1}`)},
		{PartitionKey: "beta", ExplicitHashKey: "340282366920938463463374607431768211455", Data: []byte{0xff, 0x00, 0x01}},
		{PartitionKey: "alpha", Data: nil}, // a repeated key and empty data, both still encoded
		{PartitionKey: "gamma", ExplicitHashKey: "340282366920938463463374607431768211455", Data: bytes.Repeat([]byte("x"), 300)},
	}
	d := decode(t, Marshal(in))

	if got, want := fmt.Sprint(d.keys), "[alpha beta gamma]"; got != want {
		t.Errorf("partition_key_table = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(d.hashKeys), "[340282366920938463463374607431768211455]"; got != want {
		t.Errorf("explicit_hash_key_table = %s, want %s", got, want)
	}
	if len(d.records) != len(in) {
		t.Fatalf("%d records decoded, want %d", len(d.records), len(in))
	}
	for i, r := range d.records {
		if got := d.keys[r.keyIndex]; got != in[i].PartitionKey {
			t.Errorf("record %d: partition key %q, want %q", i, got, in[i].PartitionKey)
		}
		if r.hasHashKey != (in[i].ExplicitHashKey != "") {
			t.Errorf("record %d: explicit hash key present = %v", i, r.hasHashKey)
		} else if r.hasHashKey && d.hashKeys[r.hashKeyIndex] != in[i].ExplicitHashKey {
			t.Errorf("record %d: explicit hash key %q", i, d.hashKeys[r.hashKeyIndex])
		}
		if !bytes.Equal(r.data, in[i].Data) {
			t.Errorf("record %d: data %q, want %q", i, r.data, in[i].Data)
		}
	}
}

func TestMarshalEmpty(t *testing.T) {
	b := Marshal(nil)
	if len(b) != Overhead {
		t.Fatalf("empty aggregate is %d bytes, want %d", len(b), Overhead)
	}
	if d := decode(t, b); len(d.records) != 0 {
		t.Fatalf("decoded %d records from an empty aggregate", len(d.records))
	}
}

// TestMarshalKnownBytes pins the wire bytes of a tiny aggregate, worked out by hand from the schema.
func TestMarshalKnownBytes(t *testing.T) {
	got := Marshal([]Record{{PartitionKey: "k", Data: []byte("hi")}})
	msg := []byte{
		0x0a, 0x01, 'k', // field 1 (partition_key_table), length 1, "k"
		0x1a, 0x06, // field 3 (records), length 6
		0x08, 0x00, // Record.partition_key_index = 0
		0x1a, 0x02, 'h', 'i', // Record.data = "hi"
	}
	sum := md5.Sum(msg)
	want := append(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, msg...), sum[:]...)
	if !bytes.Equal(got, want) {
		t.Fatalf("Marshal = % x\nwant      % x", got, want)
	}
}
