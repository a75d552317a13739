package process

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// quarantineRecord is the body of a quarantine object: one per Kinesis record with invalid user records, holding
// everything needed to understand and replay it. Its size is bounded by the record's: the data once, and for an
// aggregate one short entry per invalid user record (at most decode.MaxSubRecords), never copies of shared fields.
type quarantineRecord struct {
	Reason string `json:"reason"`
	// Rule names the check that failed, without the values the reason quotes (see rule): for grouping.
	Rule           string `json:"rule"`
	EventSourceARN string `json:"eventSourceARN,omitempty"`
	ShardID        string `json:"shardId"`
	SequenceNumber string `json:"sequenceNumber"`
	// PartitionKey is the record's key when it is valid UTF-8; otherwise PartitionKeyBase64 holds its bytes, so that
	// the record can be replayed exactly.
	PartitionKey                string    `json:"partitionKey,omitempty"`
	PartitionKeyBase64          string    `json:"partitionKeyBase64,omitempty"`
	ApproximateArrivalTimestamp time.Time `json:"approximateArrivalTimestamp"`
	// Data is the Kinesis record's data as received (base64): the whole KPL aggregate for one.
	Data string `json:"data"`
	// Invalid lists the invalid user records of a KPL aggregate whose other user records were written.
	Invalid []invalidUserRecord `json:"invalid,omitempty"`
}

type invalidUserRecord struct {
	SubIndex int    `json:"subIndex"`
	Reason   string `json:"reason"`
	Rule     string `json:"rule"`
}

// appendQuarantine adds the quarantine object of unit u (whose list is self) when the policy is quarantine and it
// has invalid user records.
func (p *Processor) appendQuarantine(jobs []job, self []int, u *unit) []job {
	n, first := u.invalid()
	if n == 0 || p.cfg.OnInvalidRecord != config.InvalidQuarantine {
		return jobs
	}
	r := u.rec
	q := quarantineRecord{
		Reason:                      u.items[first].Err.Error(),
		Rule:                        rule(u.items[first].Err),
		EventSourceARN:              r.EventSourceArn,
		ShardID:                     u.shard,
		SequenceNumber:              r.Kinesis.SequenceNumber,
		ApproximateArrivalTimestamp: u.arrival.UTC(),
		Data:                        base64.StdEncoding.EncodeToString(r.Kinesis.Data),
	}
	if utf8.ValidString(r.Kinesis.PartitionKey) {
		q.PartitionKey = r.Kinesis.PartitionKey
	} else {
		q.PartitionKeyBase64 = base64.StdEncoding.EncodeToString([]byte(r.Kinesis.PartitionKey))
	}
	if u.items[first].SubIndex >= 0 { // user records of an aggregate, rather than the whole record
		q.Reason = fmt.Sprintf("%d of the %d user records of this KPL aggregate are invalid; the first, %d: %s",
			n, len(u.items), first, q.Reason)
		q.Invalid = make([]invalidUserRecord, 0, n)
		for k, it := range u.items {
			if it.Err != nil {
				q.Invalid = append(q.Invalid, invalidUserRecord{SubIndex: k, Reason: it.Err.Error(), Rule: rule(it.Err)})
			}
		}
	}
	body, _ := json.Marshal(q) // strings, numbers and a time: cannot fail
	return append(jobs, job{
		key:         layout.QuarantineKey(p.cfg.ErrorPrefix, u.arrival, u.shard, r.Kinesis.SequenceNumber),
		body:        body,
		contentType: "application/json",
		units:       self,
		quarantine:  true,
	})
}

// rule names the check a record failed, as the reason does but without the values it quotes, so that the
// quarantine groups by cause (the catalog's quarantine table has it as a column, and its named query groups by it):
//
//   - the step that failed, as the reason begins: json (not JSON), utf8, empty-record, gzip, kpl (an aggregate
//     invalid as a whole), transform, partition, internal-error; any other "<step>: …" reason gives its step;
//   - with what failed, where one step fails several ways: transform:values (more than one), transform:timeout,
//     transform:size; shape:values (too many JSON values), shape:time, shape:memory; schema:not-checked;
//   - and where, for a value: schema:<pointer>:<keyword> (schema:/amount:minimum; schema:/n:range for a number out
//     of float64's range; schema:/id:table-bigint and the other table-… checks of schema.ForJSONLines for what the
//     JSON Lines table cannot read), parquet:<pointer> (parquet:/lines/*/sku), array indexes (and object keys of
//     digits only, which a pointer cannot tell from them) written *.
//
// A reason of no "<step>: " form is "other". Whether the user record was gzipped does not change its rule.
func rule(err error) string {
	var own ruleError
	var s *schema.Error
	var limit *jsonvalue.LimitError
	switch {
	case errors.As(err, &own):
		return own.rule
	case errors.As(err, &s) && s.Pointer != "":
		return strings.TrimSuffix("schema:"+wildcardIndexes(s.Pointer)+":"+s.Check, ":")
	case errors.As(err, &s):
		return strings.TrimSuffix("schema:"+s.Check, ":")
	case errors.As(err, &limit):
		return "shape:values"
	case errors.Is(err, transform.ErrMultiple):
		return "transform:values"
	}
	reason := strings.TrimPrefix(err.Error(), "gzip-decompressed data: ") // decode.Item's wrapping
	for _, r := range reasonRules {
		if strings.HasPrefix(reason, r.prefix) {
			return r.rule
		}
	}
	if at, ok := strings.CutPrefix(reason, "parquet: /"); ok {
		at, _, _ = strings.Cut(at, ": ") // column names have no ':'
		return "parquet:" + wildcardIndexes("/"+at)
	}
	if m := reasonStep.FindStringSubmatch(reason); m != nil {
		return strings.ReplaceAll(m[1], " ", "-")
	}
	return "other"
}

// ruleError is a reason made in this package, with its rule.
type ruleError struct {
	rule string
	error
}

func (e ruleError) Unwrap() error { return e.error }

// reasonRules are the rules of the reasons of other packages that do not begin with their step's name.
var reasonRules = []struct{ prefix, rule string }{
	{"invalid JSON: ", "json"},
	{"invalid UTF-8 ", "utf8"},
	{"KPL aggregated record: ", "kpl"},
}

// reasonStep is the step a reason begins with: "transform: …", "empty record: …".
var reasonStep = regexp.MustCompile(`^([a-z][a-z0-9 ]{0,30}[a-z0-9]): `)

// wildcardIndexes writes each token of a JSON pointer that is an array index as *.
func wildcardIndexes(pointer string) string {
	tokens := strings.Split(pointer, "/")
	for i, t := range tokens {
		if t != "" && strings.Trim(t, "0123456789") == "" {
			tokens[i] = "*"
		}
	}
	return strings.Join(tokens, "/")
}
