package generate

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kinesis2s3/kinesis2s3/function/decode"
)

// The handler's own decoder (function/decode) is the reference here: a kind meant to be invalid must be
// rejected by it, and KPL aggregates must de-aggregate into exactly the rendered records.

func TestInvalidKinds(t *testing.T) {
	for _, kind := range InvalidKinds {
		t.Run(string(kind), func(t *testing.T) {
			o := builtinOptions(t, "clickstream", 3)
			o.InvalidFraction, o.InvalidKinds = 1, []Kind{kind}
			g := newGen(t, o)
			for range 20 {
				rec, err := g.Next()
				if err != nil {
					t.Fatal(err)
				}
				if rec.Kind != kind {
					t.Fatalf("kind %q, want %q", rec.Kind, kind)
				}
				checkInvalid(t, rec)
			}
		})
	}
}

func checkInvalid(t *testing.T, rec Record) {
	t.Helper()
	items := decode.Record(rec.Data, rec.PartitionKey)
	switch rec.Kind {
	case KindNotJSON:
		if !utf8.Valid(rec.Data) || json.Valid(rec.Data) || len(rec.Data) == 0 {
			t.Fatalf("not-json record is not UTF-8 text that fails to parse: %q", rec.Data)
		}
	case KindBadUTF8:
		if utf8.Valid(rec.Data) || bytes.Count(rec.Data, []byte{0xFF}) != 1 {
			t.Fatalf("bad-utf8 record is valid UTF-8 or lacks the 0xFF: %q", rec.Data)
		}
	case KindEmpty:
		if len(rec.Data) != 0 {
			t.Fatalf("empty record has %d bytes", len(rec.Data))
		}
	case KindBadKPL:
		if !decode.IsAggregated(rec.Data) {
			t.Fatalf("bad-kpl record lacks the KPL magic")
		}
		if _, err := decode.Deaggregate(rec.Data); err == nil || !strings.Contains(err.Error(), "MD5") {
			t.Fatalf("bad-kpl record de-aggregated with error %v, want an MD5 mismatch", err)
		}
	case KindOversized:
		if rec.size() != MaxRecordSize {
			t.Fatalf("oversized record is %d bytes with its key, want exactly %d", rec.size(), MaxRecordSize)
		}
		var v struct {
			Oversized bool
			Record    map[string]any
			Padding   string
		}
		if err := json.Unmarshal(rec.Data, &v); err != nil || !v.Oversized || v.Record["event_id"] == nil {
			t.Fatalf("oversized record is not the wrapped JSON it should be: %v", err)
		}
		if len(items) != 1 || items[0].Err != nil {
			t.Fatalf("oversized record should be valid JSON to the handler, got %v", items[0].Err)
		}
		return
	}
	if len(items) != 1 || items[0].Err == nil {
		t.Fatalf("the handler's decoder accepted a %s record: %q", rec.Kind, rec.Data)
	}
}

func TestKPLRecordsDeaggregate(t *testing.T) {
	o := builtinOptions(t, "iot", 5)
	o.KPLFraction, o.KPLRecords = 1, 7
	g := newGen(t, o)
	for range 10 {
		rec, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		if rec.Kind != KindKPL || len(rec.SubRecords) != 7 {
			t.Fatalf("kind %q with %d sub-records, want kpl with 7", rec.Kind, len(rec.SubRecords))
		}
		if rec.PartitionKey != rec.SubRecords[0].PartitionKey {
			t.Errorf("aggregate partition key %q, want the first user record's %q", rec.PartitionKey, rec.SubRecords[0].PartitionKey)
		}
		subs, err := decode.Deaggregate(rec.Data)
		if err != nil {
			t.Fatalf("handler cannot de-aggregate: %v", err)
		}
		if len(subs) != len(rec.SubRecords) {
			t.Fatalf("%d user records de-aggregated, want %d", len(subs), len(rec.SubRecords))
		}
		for i, s := range subs {
			want := rec.SubRecords[i]
			if s.PartitionKey != want.PartitionKey || !bytes.Equal(s.Data, want.Data) {
				t.Errorf("user record %d: %q %s, want %q %s", i, s.PartitionKey, s.Data, want.PartitionKey, want.Data)
			}
			if err := validJSON(s.Data); err != nil {
				t.Errorf("user record %d is not valid JSON: %v", i, err)
			}
		}
	}
}

func TestKPLAggregateStaysUnderRecordLimit(t *testing.T) {
	// 300 KB records: only three fit in one 1 MiB Kinesis record.
	g := newGen(t, Options{Template: `{"pad": "{{printf "%300000s" ""}}"}`, PartitionKey: "k", KPLFraction: 1, KPLRecords: 10, Seed: 1})
	rec, err := g.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.SubRecords) != 3 || rec.size() > MaxRecordSize {
		t.Fatalf("aggregate of %d user records, %d bytes: want 3 within %d", len(rec.SubRecords), rec.size(), MaxRecordSize)
	}
}

func TestFractions(t *testing.T) {
	o := builtinOptions(t, "clickstream", 11)
	o.InvalidFraction, o.KPLFraction = 0.2, 0.1
	g := newGen(t, o)
	counts := map[Kind]int{}
	const n = 4000
	for range n {
		rec, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		counts[rec.Kind]++
		if rec.Kind.Invalid() {
			checkInvalid(t, rec)
		} else if err := validJSON(rec.Data); rec.Kind == KindJSON && err != nil {
			t.Fatalf("json record is invalid: %v", err)
		}
	}
	invalid := n - counts[KindJSON] - counts[KindKPL]
	// With a fixed seed the counts are fixed; the bounds say what they mean: about 20% and 10%.
	if invalid < 700 || invalid > 900 || counts[KindKPL] < 320 || counts[KindKPL] > 480 {
		t.Errorf("kinds %v: want about 800 invalid and 400 kpl of %d", counts, n)
	}
	for _, k := range DefaultInvalidKinds {
		if counts[k] < 150 {
			t.Errorf("kind %s drawn %d times, want about 200", k, counts[k])
		}
	}
	if counts[KindOversized] != 0 {
		t.Errorf("oversized is not a default kind but was drawn %d times", counts[KindOversized])
	}
}

func TestGeneratorOptionErrors(t *testing.T) {
	cases := []Options{
		{Template: "{}", InvalidFraction: 0.7, KPLFraction: 0.4},
		{Template: "{}", InvalidFraction: -0.1},
		{Template: "{}", KPLRecords: -1},
		{Template: "{}", InvalidFraction: 0.1, InvalidKinds: []Kind{}},
		{Template: "{}", InvalidKinds: []Kind{KindJSON}},
	}
	for _, o := range cases {
		if _, err := NewGenerator(o); err == nil {
			t.Errorf("NewGenerator(%+v) accepted bad options", o)
		}
	}
}

func TestParseKinds(t *testing.T) {
	kinds, err := ParseKinds("not-json, oversized,not-json")
	if err != nil || len(kinds) != 2 || kinds[0] != KindNotJSON || kinds[1] != KindOversized {
		t.Errorf("ParseKinds = %v, %v", kinds, err)
	}
	if _, err := ParseKinds("not-json,kpl"); err == nil || !strings.Contains(err.Error(), `"kpl"`) {
		t.Errorf("ParseKinds accepted kpl as an invalid kind: %v", err)
	}
}

func TestLateAndOutOfOrderEventTimes(t *testing.T) {
	const tmpl = `{"t": {{quote timestamp}}, "n": {{int 1 1000000}}}`
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	clock := func() func() time.Time {
		i := 0
		return func() time.Time { i++; return start.Add(time.Duration(i) * time.Second) }
	}
	type rec struct {
		T time.Time
		N int
	}
	render := func(o Options) (recs []rec, late []bool) {
		g := newGen(t, o)
		for range 2000 {
			r, err := g.Next()
			if err != nil {
				t.Fatal(err)
			}
			var v rec
			if err := json.Unmarshal(r.Data, &v); err != nil {
				t.Fatal(err)
			}
			recs, late = append(recs, v), append(late, r.Late)
		}
		return recs, late
	}
	plain, _ := render(Options{TemplateName: "t", Template: tmpl, Seed: 9, Now: clock()})
	shifted, late := render(Options{TemplateName: "t", Template: tmpl, Seed: 9, Now: clock(),
		LateFraction: 0.1, LateBy: 3 * time.Hour, Disorder: 30 * time.Second})
	nLate, outOfOrder := 0, 0
	for i := range plain {
		if plain[i].N != shifted[i].N {
			t.Fatalf("record %d: the shifts changed the data (%d, then %d)", i, plain[i].N, shifted[i].N)
		}
		lag := plain[i].T.Sub(shifted[i].T)
		if late[i] {
			nLate++
			if lag <= 0 || lag > 3*time.Hour+30*time.Second {
				t.Fatalf("late record %d lags %s", i, lag)
			}
		} else if lag < 0 || lag >= 30*time.Second {
			t.Fatalf("record %d lags %s, more than the disorder", i, lag)
		}
		if i > 0 && shifted[i].T.Before(shifted[i-1].T) {
			outOfOrder++
		}
	}
	if nLate < 150 || nLate > 250 {
		t.Fatalf("%d of 2000 records late, want about 200", nLate)
	}
	if outOfOrder < 500 {
		t.Fatalf("only %d records out of order", outOfOrder)
	}
	for _, bad := range []Options{{LateFraction: 0.1}, {LateFraction: 1.5, LateBy: time.Hour}, {Disorder: -time.Second}} {
		bad.TemplateName, bad.Template = "t", tmpl
		if _, err := NewGenerator(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
