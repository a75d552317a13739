package generate

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fixedNow = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func fixedClock() time.Time { return fixedNow }

func newGen(t testing.TB, o Options) *Generator {
	t.Helper()
	if o.Now == nil {
		o.Now = fixedClock
	}
	g, err := NewGenerator(o)
	if err != nil {
		t.Fatalf("NewGenerator: %v", err)
	}
	return g
}

func builtinOptions(t testing.TB, name string, seed uint64) Options {
	t.Helper()
	b, ok := LookupBuiltin(name)
	if !ok {
		t.Fatalf("no built-in template %q", name)
	}
	return Options{TemplateName: b.Name, Template: b.Text, PartitionKey: b.PartitionKey, Seed: seed}
}

func TestBuiltinsRenderValidJSONForManySeeds(t *testing.T) {
	if len(Builtins()) < 3 {
		t.Fatalf("want at least 3 built-in templates, have %d", len(Builtins()))
	}
	for _, b := range Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			for seed := uint64(1); seed <= 300; seed++ {
				g := newGen(t, builtinOptions(t, b.Name, seed))
				for range 5 {
					rec, err := g.Next()
					if err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					var v map[string]any
					if err := json.Unmarshal(rec.Data, &v); err != nil || !utf8.Valid(rec.Data) {
						t.Fatalf("seed %d: not a JSON object (%v): %s", seed, err, rec.Data)
					}
					if rec.Kind != KindJSON || rec.PartitionKey == "" {
						t.Fatalf("seed %d: kind %q partition key %q", seed, rec.Kind, rec.PartitionKey)
					}
				}
			}
		})
	}
}

func TestBuiltinPartitionKeysAreRecordFields(t *testing.T) {
	fields := map[string]func(map[string]any) any{
		"clickstream": func(m map[string]any) any { return m["session_id"] },
		"iot":         func(m map[string]any) any { return m["device_id"] },
		"orders":      func(m map[string]any) any { return m["customer"].(map[string]any)["id"] },
	}
	for name, field := range fields {
		g := newGen(t, builtinOptions(t, name, 7))
		rec, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Data, &m); err != nil {
			t.Fatal(err)
		}
		if want := field(m); rec.PartitionKey != want {
			t.Errorf("%s: partition key %q, want the record's field %v", name, rec.PartitionKey, want)
		}
	}
}

func TestSeedReproducible(t *testing.T) {
	render := func(seed uint64) []string {
		g := newGen(t, builtinOptions(t, "orders", seed))
		var out []string
		for range 20 {
			rec, err := g.Next()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, rec.PartitionKey+"|"+string(rec.Data))
		}
		return out
	}
	a, b, c := render(42), render(42), render(43)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("the same seed and clock gave different records")
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Error("different seeds gave the same records")
	}
	if g := newGen(t, Options{Template: "{}"}); g.Seed() == 0 {
		t.Error("seed 0 should be replaced by a random seed that Seed reports")
	}
}

func TestUserTemplateHelpers(t *testing.T) {
	g := newGen(t, Options{
		TemplateName: "user",
		Template: `{"i": {{index}}, "t": {{quote timestamp}}, "ms": {{unixMillis}}, "n": {{int 3 3}},
			"f": {{float 1.5 1.5 1}}, "e": {{quote (enum "only")}}, "w": {{quote (weighted "never" 0 "always" 1)}},
			"nested": {{json (dict "a" (list 1 "two" true) "b" (dict "c" nil))}}, "day": {{quote (now.Format "2006-01-02")}},
			"ago": {{quote (rfc3339 (ago "0s"))}}, "beer": {{quote (fake "beername")}}, "d": {{quote (digits 4)}}}`,
		PartitionKey: `{{.e}}-{{.i}}`,
		Seed:         1,
	})
	rec, err := g.Next()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Data, &got); err != nil {
		t.Fatalf("%v: %s", err, rec.Data)
	}
	want := map[string]any{
		"i": 0.0, "t": "2026-03-14T15:09:26.535Z", "ms": float64(fixedNow.UnixMilli()), "n": 3.0, "f": 1.5,
		"e": "only", "w": "always", "day": "2026-03-14", "ago": "2026-03-14T15:09:26.535Z",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if nested, _ := json.Marshal(got["nested"]); string(nested) != `{"a":[1,"two",true],"b":{"c":null}}` {
		t.Errorf("nested = %s", nested)
	}
	if s, _ := got["beer"].(string); s == "" {
		t.Errorf("fake beername gave %#v", got["beer"])
	}
	if s, _ := got["d"].(string); len(s) != 4 {
		t.Errorf("digits 4 gave %q", s)
	}
	if rec.PartitionKey != "only-0" {
		t.Errorf("partition key %q, want only-0", rec.PartitionKey)
	}
}

// Every helper the templates can call is documented in Helpers, and every documented name exists.
func TestHelpersDocumented(t *testing.T) {
	doc := strings.Join(Helpers, "\n")
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(doc, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') }) {
		words[w] = true
	}
	for name := range (&helpers{}).funcs() {
		if !words[name] {
			t.Errorf("helper %q is not documented in Helpers", name)
		}
	}
}

func TestJSONEscapingOfHostileStrings(t *testing.T) {
	hostile := []string{
		`"`, `\`, `\"`, "\n\r\t", "\x00\x01\x1f", "</script><!--", "\u2028\u2029", `{"a":1}`, "'; DROP TABLE x; --",
		"\xff\xfe", "😀 emoji", `{{.x}}`, strings.Repeat(`"\`, 100),
	}
	tmpl := `{"q": {{quote .}}, "j": {{json .}}, "l": {{json (list . .)}}}`
	r, err := newRenderer("hostile", tmpl, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range hostile {
		r.buf.Reset()
		if err := r.data.Execute(&r.buf, s); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out := r.buf.Bytes()
		if err := validJSON(out); err != nil {
			t.Fatalf("%q rendered invalid JSON (%v): %s", s, err, out)
		}
		var got struct {
			Q, J string
			L    []string
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		want := s
		if s == "\xff\xfe" {
			want = "\uFFFD\uFFFD" // encoding/json replaces each invalid byte
		}
		if got.Q != want || got.J != want || len(got.L) != 2 || got.L[0] != want {
			t.Errorf("%q round-tripped as q=%q j=%q l=%q", s, got.Q, got.J, got.L)
		}
	}
	if got := quote(42); got != `"42"` {
		t.Errorf("quote 42 = %s", got)
	}
}

func TestTemplateErrors(t *testing.T) {
	cases := []struct {
		name, tmpl, key, want string
	}{
		{"unquoted string", `{"name": {{name}}}`, "", "rendered an invalid record 0"},
		{"two values", `{} {}`, "", "rendered an invalid record"},
		{"parse error", `{"a": {{int 1}`, "", "record template"},
		{"bad helper args", `{"a": {{int 5 1}}}`, "", "MIN is greater than MAX"},
		{"missing key field", `{"a": 1}`, "{{.b}}", `map has no entry for key "b"`},
		{"empty key", `{"a": ""}`, "{{.a}}", "partition key"},
		{"long key", `{}`, strings.Repeat("k", 257), "1-256 characters"},
		{"bad key template", `{}`, "{{", "partition-key template"},
		{"unknown fake", `{"a": {{quote (fake "nope")}}}`, "", "no such gofakeit generator"},
		{"bad weights", `{"a": {{quote (weighted "x" -1)}}}`, "", "non-negative"},
		{"bad duration", `{"a": {{quote (rfc3339 (ago "yesterday"))}}}`, "", "ago"},
		{"too big", `{"a": "{{printf "%1048576s" ""}}"}`, "", "at most 1048576"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := NewGenerator(Options{TemplateName: "t", Template: c.tmpl, PartitionKey: c.key, Seed: 1, Now: fixedClock})
			if err == nil {
				_, err = g.Next()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestPartitionKeyTemplates(t *testing.T) {
	cases := []struct{ key, want string }{
		{`{{.id}}`, "123456789"}, // a JSON number prints as written, not as 1.23456789e+08
		{`{{.user.name}}`, "ann"},
		{`{{printf "%s/%v" .user.name .id}}`, "ann/123456789"},
		{`{{with .user}}{{.name}}{{end}}`, "ann"},
		{`fixed`, "fixed"},
		{`{{$.user.name}}`, "ann"},
		{`{{if .missing_ok}}x{{else}}y{{end}}`, "y"},
	}
	for _, c := range cases {
		g := newGen(t, Options{Template: `{"id": 123456789, "user": {"name": "ann"}, "missing_ok": false}`, PartitionKey: c.key, Seed: 1})
		rec, err := g.Next()
		if err != nil {
			t.Errorf("%s: %v", c.key, err)
			continue
		}
		if rec.PartitionKey != c.want {
			t.Errorf("%s = %q, want %q", c.key, rec.PartitionKey, c.want)
		}
	}

	// The default key is a random UUID, different per record.
	g := newGen(t, Options{Template: `{}`, Seed: 1})
	a, _ := g.Next()
	b, _ := g.Next()
	if len(a.PartitionKey) != 36 || a.PartitionKey == b.PartitionKey {
		t.Errorf("default partition keys %q, %q: want distinct UUIDs", a.PartitionKey, b.PartitionKey)
	}
}

func TestUsesDot(t *testing.T) {
	cases := map[string]bool{
		`{{uuid}}`: false, `k-{{int 1 9}}`: false, `{{$x := 1}}{{$x}}`: false, `{{range $i := 3}}{{$i}}{{end}}`: false,
		`{{.a}}`: true, `{{.}}`: true, `{{$.a}}`: true, `{{printf "%s" .a.b}}`: true, `{{if 1}}{{else}}{{.a}}{{end}}`: true,
		`{{with .a}}x{{end}}`: true, `{{(dict "a" .b).a}}`: true,
	}
	for text, want := range cases {
		r, err := newRenderer("t", "{}", text, nil)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if r.keyDot != want {
			t.Errorf("usesDot(%s) = %v, want %v", text, r.keyDot, want)
		}
	}
}

func TestRenderedBytesAreNotShared(t *testing.T) {
	g := newGen(t, Options{Template: `{"n": {{index}}}`, PartitionKey: "k", Seed: 1})
	a, _ := g.Next()
	b, _ := g.Next()
	if !bytes.Equal(a.Data, []byte(`{"n":0}`)) || !bytes.Equal(b.Data, []byte(`{"n":1}`)) {
		t.Fatalf("records %s, %s: a later render overwrote an earlier record", a.Data, b.Data)
	}
}

func TestRecordsAreCompacted(t *testing.T) {
	g := newGen(t, Options{Template: "{\n  \"a\": [ 1,\n 2 ],\n\t\"s\": \"keep  these\\n spaces\"\n}\n", PartitionKey: "k", Seed: 1})
	rec, err := g.Next()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1,2],"s":"keep  these\n spaces"}`; string(rec.Data) != want {
		t.Fatalf("record %s, want %s", rec.Data, want)
	}
}

// quote's hand-written escaping must agree with encoding/json on every kind of character.
func TestQuoteMatchesEncodingJSON(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r < 0x3000; r++ {
		all.WriteRune(r)
	}
	for _, s := range []string{all.String(), "\xff", "a\xc3(b", "\xed\xa0\x80", "\U0010FFFF", ""} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		// encoding/json escapes U+2028 and U+2029 for JavaScript; both forms are the same JSON string.
		w := strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(strings.TrimSuffix(want.String(), "\n"))
		if got := quote(s); got != w {
			t.Errorf("quote(%q) = %q, encoding/json gives %q", excerpt([]byte(s)), excerpt([]byte(got)), excerpt([]byte(w)))
		}
	}
}
