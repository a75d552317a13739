package generate

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"
)

// Builtin is a record template that ships with the generator.
type Builtin struct {
	Name        string
	Description string
	// PartitionKey is the default partition-key template: a field of the record, so that related records
	// (one session, one device, one customer) land on the same shard in order.
	PartitionKey string
	Text         string
}

//go:embed templates/*.json.tmpl
var templateFiles embed.FS

var builtins = []Builtin{
	{Name: "clickstream", Description: "web analytics events: page views, clicks, carts and purchases", PartitionKey: "{{.session_id}}"},
	{Name: "iot", Description: "sensor readings: device, metric, value, battery, location", PartitionKey: "{{.device_id}}"},
	{Name: "orders", Description: "e-commerce orders with customer, address and 1-5 line items", PartitionKey: "{{.customer.id}}"},
}

func init() {
	for i := range builtins {
		b, err := templateFiles.ReadFile("templates/" + builtins[i].Name + ".json.tmpl")
		if err != nil {
			panic(err) // the embed pattern guarantees the files; a missing one is a build mistake
		}
		builtins[i].Text = string(b)
	}
}

// Builtins returns the built-in templates, sorted by name.
func Builtins() []Builtin { return slices.Clone(builtins) }

// LookupBuiltin returns the built-in template called name.
func LookupBuiltin(name string) (Builtin, bool) {
	for _, b := range builtins {
		if b.Name == name {
			return b, true
		}
	}
	return Builtin{}, false
}

// DefaultPartitionKey is the partition-key template used when neither the user nor a built-in template gives one:
// a random UUID, which spreads records evenly over the shards.
const DefaultPartitionKey = "{{uuid}}"

// MaxPartitionKeyLen is the Kinesis limit on a partition key, in Unicode characters.
const MaxPartitionKeyLen = 256

// Helpers documents the functions templates can call, as "usage: description" lines, for -h output.
var Helpers = []string{
	"json V: V as JSON (strings quoted and escaped, maps and lists as objects and arrays)",
	"quote V: V's text as a JSON string literal; use it for every string from fake data",
	"uuid: a random UUID (v4)",
	"int MIN MAX: an integer in [MIN, MAX]",
	"float MIN MAX [DECIMALS]: a number in [MIN, MAX], rounded to DECIMALS places if given",
	"bool: true or false",
	"digits N / letters N: N random digits / ASCII letters",
	"enum A B ...: one of the arguments, uniformly",
	"weighted A WA B WB ...: one of A, B, ... with probability proportional to its weight",
	"name firstName lastName email username phone company jobTitle: people",
	"street city state zip country countryCode latitude longitude: places",
	"ipv4 ipv6 mac url domain userAgent httpMethod httpStatus: internet",
	"productName word sentence: text",
	"now: the record's event time (time.Time; e.g. now.UnixMilli, now.Format \"2006-01-02\")",
	"timestamp: now as RFC 3339 UTC with milliseconds; unixMillis: now in ms since the epoch",
	"ago DURATION: a random time in [now-DURATION, now], e.g. ago \"24h\"; rfc3339 T formats a time",
	"index: the ordinal of the Kinesis record being generated, from 0 (shared by the user records of an aggregate)",
	"dict K V ... / list V ...: build a map / list, usually for json (nested objects)",
	"fake NAME: any gofakeit generator by its lookup name, e.g. fake \"beername\" (those reading the wall clock, like dates, are not reproducible)",
}

// helpers holds what the template functions draw from. Not safe for concurrent use.
type helpers struct {
	f     *gofakeit.Faker
	now   time.Time
	index int64
}

func (h *helpers) funcs() template.FuncMap {
	f := h.f
	return template.FuncMap{
		"json":  jsonValue,
		"quote": quote,
		"uuid":  f.UUID,
		"int": func(lo, hi int) (int, error) {
			if lo > hi {
				return 0, fmt.Errorf("int %d %d: MIN is greater than MAX", lo, hi)
			}
			return f.IntRange(lo, hi), nil
		},
		"float": func(lo, hi float64, decimals ...int) (float64, error) {
			if lo > hi || len(decimals) > 1 {
				return 0, fmt.Errorf("float wants MIN MAX [DECIMALS] with MIN <= MAX")
			}
			v := f.Float64Range(lo, hi)
			if len(decimals) == 1 {
				p := math.Pow10(decimals[0])
				v = math.Round(v*p) / p
			}
			return v, nil
		},
		"bool":    f.Bool,
		"digits":  func(n uint) string { return f.DigitN(n) },
		"letters": func(n uint) string { return f.LetterN(n) },
		"enum": func(values ...any) (any, error) {
			if len(values) == 0 {
				return nil, errors.New("enum needs at least one value")
			}
			return values[f.IntN(len(values))], nil
		},
		"weighted":    h.weighted,
		"name":        f.Name,
		"firstName":   f.FirstName,
		"lastName":    f.LastName,
		"email":       f.Email,
		"username":    f.Username,
		"phone":       f.Phone,
		"company":     f.Company,
		"jobTitle":    f.JobTitle,
		"street":      f.Street,
		"city":        f.City,
		"state":       f.State,
		"zip":         f.Zip,
		"country":     f.Country,
		"countryCode": f.CountryAbr,
		"latitude":    f.Latitude,
		"longitude":   f.Longitude,
		"ipv4":        f.IPv4Address,
		"ipv6":        f.IPv6Address,
		"mac":         f.MacAddress,
		"url":         f.URL,
		"domain":      f.DomainName,
		"userAgent":   f.UserAgent,
		"httpMethod":  f.HTTPMethod,
		"httpStatus":  f.HTTPStatusCode,
		"productName": f.ProductName,
		"word":        f.Word,
		"sentence":    func() string { return f.Sentence() },
		"now":         func() time.Time { return h.now },
		"timestamp":   func() string { return rfc3339(h.now) },
		"unixMillis":  func() int64 { return h.now.UnixMilli() },
		"ago":         h.ago,
		"rfc3339":     rfc3339,
		"index":       func() int64 { return h.index },
		"dict":        dict,
		"list":        func(v ...any) []any { return v },
		"fake":        h.fake,
	}
}

func rfc3339(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// jsonValue encodes v as JSON without HTML escaping, so "<" stays readable.
func jsonValue(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("json: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// quote returns the text of v as a JSON string literal. Invalid UTF-8 becomes U+FFFD, as in encoding/json.
func quote(v any) string {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		s = fmt.Sprint(v)
	}
	return quoteString(s)
}

// quoteString is encoding/json's string encoding without HTML escaping (U+2028/9 are kept as they are). It is
// written out because templates call it for most fields and an Encoder per call is several times slower.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1: // an invalid byte
			b.WriteString(`\ufffd`)
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (h *helpers) weighted(pairs ...any) (any, error) {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return nil, errors.New("weighted wants VALUE WEIGHT pairs")
	}
	weights := make([]float64, 0, len(pairs)/2)
	var total float64
	for i := 1; i < len(pairs); i += 2 {
		w, ok := toFloat(pairs[i])
		if !ok || w < 0 || math.IsInf(w, 0) || math.IsNaN(w) {
			return nil, fmt.Errorf("weighted: weight %v of %v is not a non-negative number", pairs[i], pairs[i-1])
		}
		weights = append(weights, w)
		total += w
	}
	if total == 0 {
		return nil, errors.New("weighted: all weights are zero")
	}
	r := h.f.Float64() * total
	for i, w := range weights {
		if r < w {
			return pairs[2*i], nil
		}
		r -= w
	}
	return pairs[len(pairs)-2], nil // rounding left r at the very top
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func (h *helpers) ago(d string) (time.Time, error) {
	span, err := time.ParseDuration(d)
	if err != nil || span < 0 {
		return time.Time{}, fmt.Errorf("ago %q: want a non-negative Go duration such as 90s or 24h", d)
	}
	return h.now.Add(-time.Duration(h.f.Float64() * float64(span))), nil
}

func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict wants KEY VALUE pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func (h *helpers) fake(name string) (any, error) {
	info := gofakeit.GetFuncLookup(name)
	if info == nil {
		return nil, fmt.Errorf("fake %q: no such gofakeit generator", name)
	}
	v, err := info.Generate(h.f, nil, info)
	if err != nil {
		return nil, fmt.Errorf("fake %q: %w", name, err)
	}
	return v, nil
}

// renderer renders one template's records and partition keys. Not safe for concurrent use.
type renderer struct {
	name    string
	data    *template.Template
	key     *template.Template
	keyDot  bool // the key template reads fields of the record, so the record is decoded for it
	helpers *helpers
	buf     bytes.Buffer
}

func newRenderer(name, dataText, keyText string, f *gofakeit.Faker) (*renderer, error) {
	h := &helpers{f: f}
	funcs := h.funcs()
	data, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(dataText)
	if err != nil {
		return nil, fmt.Errorf("record template: %w", err)
	}
	if keyText == "" {
		keyText = DefaultPartitionKey
	}
	key, err := template.New("partition-key").Funcs(funcs).Option("missingkey=error").Parse(keyText)
	if err != nil {
		return nil, fmt.Errorf("partition-key template: %w", err)
	}
	return &renderer{name: name, data: data, key: key, keyDot: usesDot(key.Tree.Root), helpers: h}, nil
}

// render executes the record template and then the partition-key template with the record's fields as dot.
// The record must be one JSON value in valid UTF-8 and the key 1-256 characters.
func (r *renderer) render(index int64, now time.Time) ([]byte, string, error) {
	r.helpers.index, r.helpers.now = index, now
	r.buf.Reset()
	if err := r.data.Execute(&r.buf, nil); err != nil {
		return nil, "", fmt.Errorf("record %d: %w", index, err)
	}
	// Templates are laid out for reading; records go out on one line, as consumers writing JSON Lines expect.
	// Compact also checks that the text is exactly one JSON value.
	var compact bytes.Buffer
	compact.Grow(r.buf.Len())
	err := json.Compact(&compact, r.buf.Bytes())
	if err == nil && !utf8.Valid(r.buf.Bytes()) {
		err = errors.New("invalid UTF-8")
	}
	if err != nil {
		return nil, "", fmt.Errorf("template %q rendered an invalid record %d (%w): %s", r.name, index, err, excerpt(r.buf.Bytes()))
	}
	data := compact.Bytes()

	var dot any
	if r.keyDot {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // so {{.id}} prints 123456789, not 1.23456789e+08
		if err := dec.Decode(&dot); err != nil {
			return nil, "", fmt.Errorf("record %d: decoding it for the partition key: %w", index, err)
		}
	}
	r.buf.Reset()
	if err := r.key.Execute(&r.buf, dot); err != nil {
		return nil, "", fmt.Errorf("record %d: partition key: %w", index, err)
	}
	key := r.buf.String()
	if n := utf8.RuneCountInString(key); n == 0 || n > MaxPartitionKeyLen || !utf8.ValidString(key) {
		return nil, "", fmt.Errorf("record %d: partition key %q: Kinesis wants 1-%d characters of valid UTF-8", index, excerpt([]byte(key)), MaxPartitionKeyLen)
	}
	return data, key, nil
}

// validJSON reports why b is not exactly one JSON value in valid UTF-8 (encoding/json alone accepts invalid
// UTF-8 inside strings).
func validJSON(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("invalid UTF-8")
	}
	var v json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return nil
}

func excerpt(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// usesDot reports whether a template reads its data (dot, a field, or $), so rendering can skip decoding the
// record for key templates such as {{uuid}}. Template calls are assumed to read it.
func usesDot(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.DotNode, *parse.FieldNode, *parse.TemplateNode:
		return true
	case *parse.VariableNode:
		return n.Ident[0] == "$"
	case *parse.ChainNode:
		return usesDot(n.Node)
	case *parse.ListNode:
		if n == nil {
			return false
		}
		return slices.ContainsFunc(n.Nodes, usesDot)
	case *parse.ActionNode:
		return usesDot(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return false
		}
		for _, c := range n.Cmds {
			if slices.ContainsFunc(c.Args, usesDot) {
				return true
			}
		}
		return false
	case *parse.IfNode:
		return usesBranch(&n.BranchNode)
	case *parse.RangeNode:
		return usesBranch(&n.BranchNode)
	case *parse.WithNode:
		return usesBranch(&n.BranchNode)
	}
	return false
}

func usesBranch(b *parse.BranchNode) bool {
	return usesDot(b.Pipe) || usesDot(b.List) || usesDot(b.ElseList)
}
