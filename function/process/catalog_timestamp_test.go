package process

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/event"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
)

// TestQuarantineArrivalTimeIsReadableByTheCatalog holds the quarantine object's approximateArrivalTimestamp to the
// quarantine table of terraform/modules/catalog, whose Hive JSON SerDe parses timestamp columns with the Joda-Time
// patterns of its "timestamp.formats" parameter. The arrival time comes from the event as Lambda sends it (seconds
// with milliseconds), through the real decoder. A value no pattern accepts makes every query that reads the column
// (the module's own quarantined-by-reason named query does) fail with HIVE_BAD_DATA.
func TestQuarantineArrivalTimeIsReadableByTheCatalog(t *testing.T) {
	src, err := os.ReadFile("../../terraform/modules/catalog/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"timestamp\.formats"\s*=\s*"([^"]*)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no timestamp.formats in terraform/modules/catalog/main.tf")
	}
	formats := strings.Split(string(m[1]), ",")

	payload := []byte(`{"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"pk","sequenceNumber":"` + seqOf(1) +
		`","data":"bm90IGpzb24=","approximateArrivalTimestamp":1795600800.123},"eventSource":"aws:kinesis",` +
		`"eventID":"shardId-000000000000:` + seqOf(1) + `","eventSourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s"}]}`)
	var d event.Decoder
	recs, err := d.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	w := newMem()
	if _, _, err := newProc(t, cfg("batch"), w).Process(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	keys := w.keys("errors/")
	if len(keys) != 1 {
		t.Fatalf("quarantined %v, want one object", keys)
	}
	var body struct {
		Arrival string `json:"approximateArrivalTimestamp"`
	}
	if err := json.Unmarshal(w.objects[keys[0]], &body); err != nil {
		t.Fatal(err)
	}
	// The stream's millisecond, not the float's few nanoseconds off it.
	if want := "2026-11-25T10:00:00.123Z"; body.Arrival != want {
		t.Errorf("approximateArrivalTimestamp %q, want %q", body.Arrival, want)
	}
	for _, f := range formats {
		if jodaRegexp(t, f).MatchString(body.Arrival) {
			return
		}
	}
	t.Errorf("approximateArrivalTimestamp %q matches none of the quarantine table's timestamp.formats %q: Athena cannot read it", body.Arrival, formats)
}

// jodaRegexp is the set of strings a Joda-Time DateTimeFormat pattern parses, for the letters the catalog uses. A run
// of n S is appendFractionOfSecond(n, n): the parser reads 1 to n digits and no more.
func jodaRegexp(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			end := strings.IndexByte(pattern[i+1:], '\'')
			if end < 0 {
				t.Fatalf("unterminated quote in %q", pattern)
			}
			b.WriteString(regexp.QuoteMeta(pattern[i+1 : i+1+end]))
			i += end + 2
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		switch c {
		case 'y':
			b.WriteString(`\d{4}`)
		case 'M', 'd', 'H', 'm', 's':
			b.WriteString(`\d{2}`)
		case 'S':
			b.WriteString(`\d{1,` + string(rune('0'+n)) + `}`)
		case 'Z':
			b.WriteString(`(Z|[+-]\d{2}:?\d{2})`)
		default:
			if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
				t.Fatalf("pattern letter %c of %q is not handled here", c, pattern)
			}
			b.WriteString(regexp.QuoteMeta(pattern[i : i+n]))
		}
		i += n
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// TestRecordsTableReadsTheDateTimesTheSchemaAccepts: with FORMAT=jsonl, a schema property of "format": "date-time"
// is a timestamp column of the records table (terraform/modules/catalog/columns.tf), parsed by the same
// timestamp.formats. A record the schema accepts is written as it came; its time must be one the table can read,
// or every query of the column fails. Microseconds are what most producers' clocks give (Python isoformat, Java
// Instant, Go's RFC 3339 with nanoseconds).
func TestRecordsTableReadsTheDateTimesTheSchemaAccepts(t *testing.T) {
	src, err := os.ReadFile("../../terraform/modules/catalog/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"timestamp\.formats"\s*=\s*"([^"]*)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no timestamp.formats in terraform/modules/catalog/main.tf")
	}
	s, err := schema.Compile([]byte(`{"type":"object","properties":{"at":{"type":"string","format":"date-time"}}}`), "file:///s.json")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Compression, c.Format = "none", "jsonl"
	w := newMem()
	at := "2026-11-25T10:59:58.123456Z"
	p, err := New(c, w, nil, WithShape(shape.Options{Schema: s}))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Process(context.Background(),
		[]events.KinesisEventRecord{rec("shardId-000000000000", 1, t0, `{"at":"`+at+`"}`)}); err != nil {
		t.Fatal(err)
	}
	if len(w.keys("kinesis/")) != 1 || len(w.keys("errors/")) != 0 {
		t.Fatalf("objects %v: the schema must accept %s", w.keys(""), at)
	}
	for _, f := range strings.Split(string(m[1]), ",") {
		if jodaRegexp(t, f).MatchString(at) {
			return
		}
	}
	t.Errorf("%s, valid for the schema and written to the records table's objects, matches none of its timestamp.formats %q: Athena cannot read the column", at, m[1])
}
