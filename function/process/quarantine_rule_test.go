package process

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// ruleSchema declares an amount (a non-negative integer), lines of integer quantities, and n (an integer column).
const ruleSchema = `{"type": "object", "properties": {"amount": {"type": "integer", "minimum": 0}, "n": {"type": "integer"},
	"lines": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer"}}}}}}`

// quarantineRules runs records through a batch processor (JSON Lines, or Parquet) with the schema and the transform
// expression (each optional), and returns the quarantine entries, in the order of the records.
func quarantineRules(t *testing.T, format, doc, expr string, records ...[]byte) []quarantineRecord {
	t.Helper()
	var o shape.Options
	var err error
	if doc != "" {
		if o.Schema, err = schema.Compile([]byte(doc), "file:///s.json"); err != nil {
			t.Fatal(err)
		}
	}
	if expr != "" {
		if o.Transform, err = transform.Compile(expr); err != nil {
			t.Fatal(err)
		}
	}
	c := cfg("batch")
	c.Compression, c.Format = "none", format
	w := newMem()
	p, err := New(c, w, nil, WithShape(o))
	if err != nil {
		t.Fatal(err)
	}
	var rs []events.KinesisEventRecord
	for i, data := range records {
		rs = append(rs, rec("shardId-000000000000", i, t0, ""))
		rs[i].Kinesis.Data = data
	}
	if _, _, err := p.Process(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	q := make([]quarantineRecord, len(records))
	for _, e := range quarantined(t, w) {
		for i := range records {
			if e.SequenceNumber == seqOf(i) {
				q[i] = e
			}
		}
	}
	for i, e := range q {
		if e.SequenceNumber == "" {
			t.Fatalf("record %d (%q) was not quarantined", i, records[i])
		}
	}
	return q
}

// TestQuarantineRuleIsStableAcrossValues: records that fail one check, with different values (and at different
// array indexes), are quarantined with different reasons but one rule; the rule is the one documented (rule).
func TestQuarantineRuleIsStableAcrossValues(t *testing.T) {
	badMD5 := kpl([]string{"a"}, `{}`)
	badMD5[len(badMD5)-1] ^= 1
	truncated := kpl([]string{"a"}, `{"x": 1}`)[:10]
	for _, c := range []struct {
		rule, format, schema, transform string
		records                         []string
		same                            bool // the reasons quote no value: they are the same
	}{
		{"schema:/amount:minimum", "jsonl", ruleSchema, "", []string{`{"amount": -5}`, `{"amount": -7}`}, false},
		{"schema:/amount:type", "jsonl", ruleSchema, "", []string{`{"amount": "5"}`, `{"amount": true}`}, false},
		{"schema:/lines/*/qty:type", "jsonl", ruleSchema, "", []string{`{"lines": [{"qty": "a"}]}`, `{"lines": [{"qty": 1}, {"qty": "b"}]}`}, false},
		{"schema:/amount:range", "jsonl", ruleSchema, "", []string{`{"amount": 1e999}`, `{"amount": -2e999}`}, true},
		{"json", "jsonl", "", "", []string{`{"a":`, `nope`, string(gzipped(`{"b"}`))}, false},
		{"utf8", "jsonl", "", "", []string{"\"\xff\"", "{\"a\": \"x\xfe\"}"}, false},
		{"empty-record", "jsonl", "", "", []string{"", " \n"}, true},
		{"kpl", "jsonl", "", "", []string{string(badMD5), string(truncated)}, false},
		{"transform", "jsonl", "", ".a + 1", []string{`{"a": "x"}`, `{"a": [2]}`}, false},
		{"transform:values", "jsonl", "", ".[]", []string{`{"a": 1, "b": 2}`, `[1, 2, 3]`}, true},
		{"parquet:/n", "parquet", ruleSchema, "", []string{`{"n": 1e19}`, `{"n": 2.5e19}`}, false},
		{"parquet:/lines/*/qty", "parquet", ruleSchema, "", []string{`{"lines": [{"qty": 1e19}]}`, `{"lines": [{}, {"qty": 3e19}]}`}, false},
		// What the JSON Lines table cannot read (schema.ForJSONLines): its reasons quote no value either.
		{"schema:/n:table-bigint", "jsonl", ruleSchema, "", []string{`{"n": 1e19}`, `{"n": 18446744073709551615}`}, true},
		{"schema:/lines/*/qty:table-bigint", "jsonl", ruleSchema, "", []string{`{"lines": [{"qty": 1e19}]}`, `{"lines": [{}, {"qty": 3e19}]}`}, false},
		{"schema:/Amount:table-case", "jsonl", ruleSchema, "", []string{`{"Amount": 1}`, `{"amount": 2, "Amount": 3}`}, true},
		{"schema:/_col0:table-internal-name", "jsonl", ruleSchema, "", []string{`{"_col0": 1}`, `{"_col0": "x"}`}, true},
	} {
		var records [][]byte
		for _, r := range c.records {
			records = append(records, []byte(r))
		}
		reasons := map[string]bool{}
		for _, q := range quarantineRules(t, c.format, c.schema, c.transform, records...) {
			reasons[q.Reason] = true
			if q.Rule != c.rule {
				t.Errorf("%s: reason %q has rule %q", c.rule, q.Reason, q.Rule)
			}
		}
		if !c.same && len(reasons) != len(c.records) {
			t.Errorf("%s: the records' reasons are not all different (%v): the case does not show the rule ignores values", c.rule, reasons)
		}
	}
}

// TestQuarantineRuleOfAggregates: an aggregate's rule is its first invalid user record's, and each invalid user
// record has its own.
func TestQuarantineRuleOfAggregates(t *testing.T) {
	q := quarantineRules(t, "jsonl", ruleSchema, "", kpl([]string{"a"}, `{"amount": 1}`, `{"amount": -1}`, `oops`))
	if q[0].Rule != "schema:/amount:minimum" || len(q[0].Invalid) != 2 ||
		q[0].Invalid[0].Rule != "schema:/amount:minimum" || q[0].Invalid[1].Rule != "json" {
		t.Errorf("aggregate quarantine %+v", q[0])
	}
}

// TestReadmeQuarantineExamples: the quarantine bodies README.md shows are what the function writes for the records
// they describe: the same fields, and the same reasons and rules (other values are elided there, with …).
func TestReadmeQuarantineExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile("(?s)\\*\\*quarantine\\*\\* — .*?\n### ").Find(readme)
	examples := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(section, -1)
	if len(examples) != 2 {
		t.Fatalf("README.md's quarantine section has %d JSON examples, want 2", len(examples))
	}
	// The records of the examples: "not json"; an aggregate of 500 user records of which 7 is empty and 90 is not
	// UTF-8 at byte 3.
	users := make([]string, 500)
	for i := range users {
		users[i] = "{}"
	}
	users[7], users[90] = "", "\"ab\xff\""
	written := quarantineRules(t, "jsonl", "", "", []byte("not json"), kpl([]string{"user-42"}, users...))
	for i, ex := range examples {
		var shown, got map[string]any
		if err := json.Unmarshal(ex[1], &shown); err != nil {
			t.Fatalf("example %d is not JSON: %v", i+1, err)
		}
		body, _ := json.Marshal(written[i])
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		for key, v := range shown {
			w, ok := got[key]
			switch {
			case !ok:
				t.Errorf("example %d: the function writes no %q", i+1, key)
			case (key == "reason" || key == "rule" || key == "invalid") && !reflect.DeepEqual(v, w):
				t.Errorf("example %d: %s is %v in README.md; the function writes %v", i+1, key, v, w)
			}
		}
		for _, key := range []string{"reason", "rule"} {
			if _, ok := shown[key]; !ok {
				t.Errorf("example %d does not show %q", i+1, key)
			}
		}
	}
}

// TestQuarantineTableHasTheFields: the catalog module's quarantine table (terraform/modules/catalog, quarantine_columns)
// has a column for each field of the quarantine body, and the invalid list's struct a field for each of an entry's.
func TestQuarantineTableHasTheFields(t *testing.T) {
	src, err := os.ReadFile("../../terraform/modules/catalog/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)quarantine_columns = \[(.*?)\n  \]`).FindSubmatch(src)
	if block == nil {
		t.Fatal("no quarantine_columns in terraform/modules/catalog/main.tf")
	}
	columns := map[string]string{}
	for _, m := range regexp.MustCompile(`\{ name = "(\w+)", type = "([^"]+)" \}`).FindAllSubmatch(block[1], -1) {
		columns[string(m[1])] = string(m[2])
	}
	tags := func(v any) []string {
		var names []string
		for f := range reflect.TypeOf(v).Fields() {
			names = append(names, strings.Split(f.Tag.Get("json"), ",")[0])
		}
		return names
	}
	var got []string
	for name := range columns {
		got = append(got, name)
	}
	if want := tags(quarantineRecord{}); !sameSet(got, want) {
		t.Errorf("quarantine table columns %v; the body's fields %v", got, want)
	}
	for _, field := range tags(invalidUserRecord{}) {
		if !strings.Contains(columns["invalid"], field+":") {
			t.Errorf("the invalid column (%s) has no %s", columns["invalid"], field)
		}
	}
}

func sameSet(a, b []string) bool {
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
