package transform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

func decode(t testing.TB, s string) jsonvalue.Value {
	t.Helper()
	v, err := jsonvalue.Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestApply(t *testing.T) {
	in := `{"amount": 12.345, "card": "4111", "items": [1, 2], "big": 123456789012345678901234567890}`
	cases := []struct {
		expr, want string // want: the output as jq JSON, "<dropped>", or "error: <text>"
	}{
		{`del(.card) | .amount_cents = (.amount * 100 | floor)`, `{"amount":12.345,"amount_cents":1234,"big":123456789012345678901234567890,"items":[1,2]}`},
		{`.`, `{"amount":12.345,"big":123456789012345678901234567890,"card":"4111","items":[1,2]}`},
		{`.big + 1`, `123456789012345678901234567891`},
		{`empty`, `<dropped>`},
		{`select(.amount > 100)`, `<dropped>`},
		{`halt`, `<dropped>`},
		{`., halt`, `{"amount":12.345,"big":123456789012345678901234567890,"card":"4111","items":[1,2]}`},
		{`.items[]`, `error: ` + ErrMultiple.Error()},
		{`error("no tenant")`, `error: transform: error: no tenant`},
		{`"bad" | halt_error`, `error: transform: halt`},
		{`.card + 1`, `error: transform: cannot add`},
		{`$ENV | length`, `0`},
	}
	for _, c := range cases {
		tr, err := Compile(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		out, keep, err := tr.Apply(context.Background(), decode(t, in).Any())
		var got string
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case !keep:
			got = "<dropped>"
		default:
			b, _ := gojq.Marshal(out)
			got = string(b)
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: got %s, want %s", c.expr, got, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, expr := range []string{`.a |`, `foo(1)`, `$undefined`, `input`, `{`} {
		if _, err := Compile(expr); err == nil {
			t.Errorf("%q compiled", expr)
		}
	}
}

func TestApplyStopsWithTheContext(t *testing.T) {
	tr, err := Compile(`last(range(1e15))`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err = tr.Apply(ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v", err)
	}
}

func TestParsePath(t *testing.T) {
	doc := decode(t, `{"a": {"b c": [10, {"d": "x"}], "": 1, "é": 2}, "n": null, "esc\"q": 3}`)
	cases := []struct {
		path string
		want string // the value found as JSON, or "-" for none
	}{
		{`.a."b c"[0]`, `10`},
		{`.a["b c"][1].d`, `"x"`},
		{`.a.["b c"].[1].d`, `"x"`},
		{`.["a"][""]`, `1`},
		{`.a."\u00e9"`, `2`},
		{`."esc\"q"`, `3`},
		{`.n`, `null`},
		{`.missing`, `-`},
		{`.a."b c"[2]`, `-`},
		{`.a."b c".d`, `-`},
		{`.a."b c"[0].d`, `-`},
		{`.a[0]`, `-`},
	}
	for _, c := range cases {
		p, err := ParsePath(c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		got := "-"
		if v, ok := p.Get(doc); ok {
			got = string(v.AppendJSON(nil))
		}
		if got != c.want || p.String() != c.path {
			t.Errorf("%s: got %s (%s), want %s", c.path, got, p, c.want)
		}
	}
	for _, bad := range []string{``, `.`, `a`, `[0]`, `["a"]`, `.a b`, `.a.`, `.1a`, `.a[-1]`, `.a[x]`, `."unterminated`,
		`."bad\q"`, `.a | .b`, `.a?`, `.[]`, `.a[99999999999999999999999]`, ".\"tab\t\""} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func ExampleTransform_Apply() {
	tr, err := Compile(`del(.card) | .amount_cents = (.amount * 100 | floor)`)
	if err != nil {
		panic(err)
	}
	record, _ := jsonvalue.Decode([]byte(`{"order": "o-1", "amount": 12.34, "card": "4111 1111 1111 1111"}`))
	out, keep, err := tr.Apply(context.Background(), record.Any())
	b, _ := gojq.Marshal(out)
	fmt.Println(string(b), keep, err)
	// Output:
	// {"amount":12.34,"amount_cents":1234,"order":"o-1"} true <nil>
}
