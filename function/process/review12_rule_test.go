package process

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
)

// TestQuarantinedByReasonGroupsByRule (review 12): the catalog's named query quarantined-by-reason groups the
// quarantine table by one column (GROUP BY reason) to show an operator what is failing, LIMIT 100. The reasons carry
// the offending value ("minimum: got -5, want 0", "maxLength: got 6, want 3"; the Parquet conversions quote the value
// too, and array paths their index), so records that break the same rule at the same place land in groups of one: a
// producer sending negative amounts fills the hundred rows with one row per amount, and the query answers nothing.
func TestQuarantinedByReasonGroupsByRule(t *testing.T) {
	src, err := os.ReadFile("../../terraform/modules/catalog/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)quarantined-by-reason = \{.*?GROUP BY (\w+)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no GROUP BY in the quarantined-by-reason named query of terraform/modules/catalog/main.tf")
	}
	group := string(m[1])
	s, err := schema.Compile([]byte(`{"type":"object","properties":{"amount":{"type":"integer","minimum":0}}}`), "file:///s.json")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Compression, c.Format = "none", "jsonl"
	w := newMem()
	p, err := New(c, w, nil, WithShape(shape.Options{Schema: s}))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Process(context.Background(), []events.KinesisEventRecord{
		rec("shardId-000000000000", 0, t0, `{"amount":-5}`), rec("shardId-000000000000", 1, t0, `{"amount":-7}`)}); err != nil {
		t.Fatal(err)
	}
	groups := map[string]bool{}
	for _, k := range w.keys("errors/") {
		var q map[string]any
		if err := json.Unmarshal(w.objects[k], &q); err != nil {
			t.Fatal(err)
		}
		groups[fmt.Sprint(q[group])] = true
	}
	if len(groups) != 1 {
		t.Errorf("two records breaking the same rule (/amount minimum 0) fall in %d groups of quarantined-by-reason (GROUP BY %s): %v", len(groups), group, groups)
	}
}
