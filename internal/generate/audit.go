package generate

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// AuditRecord is one line of the --output file (JSON Lines): a record Kinesis accepted, with where it landed.
// Lines are written in the order PutRecords calls complete, not in Index order.
type AuditRecord struct {
	Index          int64  `json:"index"`
	SequenceNumber string `json:"sequence_number,omitempty"` // empty in a dry run
	ShardID        string `json:"shard_id,omitempty"`
	PartitionKey   string `json:"partition_key"`
	Kind           Kind   `json:"kind"`
	// Late marks a record whose event time lags the clock (generate --late-fraction).
	Late bool `json:"late,omitempty"`
	Payload
	// Records are the user records inside a kpl or bad-kpl aggregate; Payload then holds the aggregate itself.
	Records []AuditSubRecord `json:"records,omitempty"`
}

// AuditSubRecord is a user record inside an aggregate.
type AuditSubRecord struct {
	PartitionKey string `json:"partition_key"`
	Payload
}

// Payload carries record bytes in JSON: as text when they are valid UTF-8, else base64 (standard encoding).
type Payload struct {
	Data       *string `json:"data,omitempty"`
	DataBase64 string  `json:"data_base64,omitempty"`
}

func payloadOf(b []byte) Payload {
	if utf8.Valid(b) {
		s := string(b)
		return Payload{Data: &s}
	}
	return Payload{DataBase64: base64.StdEncoding.EncodeToString(b)}
}

// Bytes returns the exact bytes that were sent.
func (p Payload) Bytes() ([]byte, error) {
	if p.Data != nil {
		return []byte(*p.Data), nil
	}
	b, err := base64.StdEncoding.DecodeString(p.DataBase64)
	if err != nil {
		return nil, fmt.Errorf("data_base64: %w", err)
	}
	return b, nil
}

func auditOf(rec *Record, seq, shard string) AuditRecord {
	a := AuditRecord{
		Index:          rec.Index,
		SequenceNumber: seq,
		ShardID:        shard,
		PartitionKey:   rec.PartitionKey,
		Kind:           rec.Kind,
		Late:           rec.Late,
		Payload:        payloadOf(rec.Data),
	}
	for _, s := range rec.SubRecords {
		a.Records = append(a.Records, AuditSubRecord{PartitionKey: s.PartitionKey, Payload: payloadOf(s.Data)})
	}
	return a
}

// ReadAudit reads an --output file.
func ReadAudit(r io.Reader) ([]AuditRecord, error) {
	dec := json.NewDecoder(r)
	var out []AuditRecord
	for {
		var a AuditRecord
		err := dec.Decode(&a)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("audit line %d: %w", len(out)+1, err)
		}
		out = append(out, a)
	}
}

// auditWriter writes AuditRecords as JSON Lines from concurrent workers.
type auditWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	enc *json.Encoder
}

func newAuditWriter(w io.Writer) *auditWriter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &auditWriter{w: bw, enc: enc}
}

func (a *auditWriter) write(rec *Record, seq, shard string) error {
	line := auditOf(rec, seq, shard)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.enc.Encode(line); err != nil {
		return fmt.Errorf("writing the output file: %w", err)
	}
	return nil
}

func (a *auditWriter) flush() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.w.Flush(); err != nil {
		return fmt.Errorf("writing the output file: %w", err)
	}
	return nil
}

// DryRun writes count records (0: none) from gen to w as audit lines without sequence numbers, for checking a
// template without a stream.
func DryRun(gen *Generator, count int64, w io.Writer) error {
	aw := newAuditWriter(w)
	for range count {
		rec, err := gen.Next()
		if err != nil {
			return err
		}
		if err := aw.write(&rec, "", ""); err != nil {
			return err
		}
	}
	return aw.flush()
}
