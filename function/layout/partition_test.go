package layout

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

func TestParsePartitionKeys(t *testing.T) {
	keys, err := ParsePartitionKeys(`tenant=.customer.tenant,type=.type,first_tag=.tags[0],k=."a b"`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.Name+"="+k.Path.String())
	}
	if strings.Join(got, " ") != `tenant=.customer.tenant type=.type first_tag=.tags[0] k=."a b"` {
		t.Fatalf("%q", got)
	}
	if keys, err := ParsePartitionKeys(""); keys != nil || err != nil {
		t.Fatalf("empty: %v %v", keys, err)
	}
	for s, want := range map[string]string{
		"tenant":                        "want name=path pairs",
		"Tenant=.t":                     "want name=path pairs",
		"tenant=.t,":                    "want name=path pairs",
		"tenant=t":                      "want name=path pairs",
		"my-key=.t":                     "want name=path pairs",
		"hour=.h":                       "hour is a time level",
		"a=.a,_extra=.x":                "_extra is the Parquet column",
		"line=.l":                       "line is the JSON Lines table's column",
		"a=.x,a=.y":                     "a is named twice",
		"a=.x | .y":                     "not a field path",
		`a=."x,y"`:                      "want name=path pairs",
		"a=.a,b=.b,c=.c,d=.d,e=.e,f=.f": "at most 5",
	} {
		if _, err := ParsePartitionKeys(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", s, err, want)
		}
	}
}

var valueRE = regexp.MustCompile(`^` + ValuePattern + `$`)

func TestPartitionValue(t *testing.T) {
	cases := []struct {
		json string // "" for a missing field
		want string
	}{
		{`"acme"`, "acme"},
		{`"Acme Corp/EU=1"`, "Acme!20Corp!2FEU!3D1"},
		{`"münchen"`, "m!C3!BCnchen"},
		{`"a.b-c_d"`, "a.b-c_d"},
		{`"tab\there"`, "tab!09here"},
		{`"100%!"`, "100!25!21"},
		{`"__null__"`, "!5F_null__"},
		{`42`, "42"},
		{`-1.5e3`, "-1500"},
		{`-0.0`, "0"},
		{`0.00012E-2`, "0.0000012"},
		{`1.2e-7`, "1.2e-7"},
		{`1.5e21`, "1500000000000000000000"},
		{`12345678901234567890123.5`, "1.23456789012345678901235e22"},
		{`9007199254740993`, "9007199254740993"}, // 2^53+1: not rounded to a float64
		{`123456789012345678901234567890`, "123456789012345678901234567890"},
		{`1e400`, "1e400"},
		{`1e9999999999999999999`, "1e9999999999999999999"},
		{`true`, "true"},
		{`""`, NullValue},
		{`null`, NullValue},
		{``, NullValue},
		{`{"a": 1}`, NullValue},
		{`["a"]`, NullValue},
		// Too long: the head, then !! and 16 hex digits of the SHA-256 of the value (printf %s xxx… | sha256sum).
		{`"` + strings.Repeat("x", 100) + `"`, strings.Repeat("x", 46) + "!!09ecb6ebc8bcefc7"},
		// The head keeps whole characters: 東 is three escapes.
		{`"` + strings.Repeat("東", 10) + `"`, strings.Repeat("!E6!9D!B1", 5) + "!!" + "02cccc3ab6c0cb45"},
	}
	for _, c := range cases {
		var v jsonvalue.Value
		if c.json != "" {
			v = decodeJSON(t, c.json)
		}
		got := PartitionValue(v, c.json != "")
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.json, got, c.want)
		}
		if !valueRE.MatchString(got) || len(got) > MaxValueBytes {
			t.Errorf("%s: %q does not match ValuePattern within %d bytes", c.json, got, MaxValueBytes)
		}
	}
}

func TestEventTime(t *testing.T) {
	want := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	for _, in := range []string{`"2026-11-25T10:30:00Z"`, `"2026-11-25T11:30:00+01:00"`, `1795602600`, `1795602600000`,
		`1795602600.0`, `1.7956026e9`} {
		got, ok := EventTime(decodeJSON(t, in))
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: %v %v, want %v", in, got, ok, want)
		}
	}
	if got, ok := EventTime(decodeJSON(t, `"2026-11-25T10:30:00.123456789Z"`)); !ok || got.Nanosecond() != 123456789 {
		t.Errorf("nanoseconds: %v", got)
	}
	if got, ok := EventTime(decodeJSON(t, `1795602600.5`)); !ok || got.Nanosecond() != 500000000 {
		t.Errorf("fractional seconds: %v", got)
	}
	// Date-times the schema's date-time format accepts and time.Parse does not: lower case, and a leap second,
	// which stays in its hour (and year).
	if got, ok := EventTime(decodeJSON(t, `"2026-11-25t10:30:00z"`)); !ok || !got.Equal(want) {
		t.Errorf("lower case: %v %v", got, ok)
	}
	leap := time.Date(2016, 12, 31, 23, 59, 59, 999999000, time.UTC)
	if got, ok := EventTime(decodeJSON(t, `"2016-12-31T23:59:60.5Z"`)); !ok || !got.Equal(leap) {
		t.Errorf("leap second: %v %v, want %v", got, ok, leap)
	}
	for _, bad := range []string{`"yesterday"`, `"2026-11-25"`, `"2026-11-25 10:30:00"`, `"2026-11-25T10:30:60Z"`, `true`, `null`, `{}`, `-5`,
		`1e300`, `"1999-12-31T23:59:59Z"`, `"2100-01-01T00:00:00Z"`, `946684799`, `99999999999999999999`, `[1795602600]`} {
		if got, ok := EventTime(decodeJSON(t, bad)); ok {
			t.Errorf("%#v: %v", bad, got)
		}
	}
}

func TestObjectKey(t *testing.T) {
	p := Partition{Levels: "tenant=acme/", Hour: time.Date(2026, 1, 2, 3, 59, 0, 0, time.FixedZone("X", 3600))}
	got := ObjectKey("kinesis/", p, "shardId-000000000001", "4965", ".parquet")
	if got != "kinesis/tenant=acme/year=2026/month=01/day=02/hour=02/shardId-000000000001-4965.parquet" {
		t.Fatal(got)
	}
}

func TestPartitionLimit(t *testing.T) {
	l := PartitionLimit{Max: 2}
	var got []bool
	for _, p := range []string{"a", "b", "a", "c", "b", "d"} {
		got = append(got, l.Admit(p))
	}
	if fmt.Sprint(got) != "[true true true false true false]" {
		t.Fatal(got)
	}
}

// TestTerraformValidatesPartitionKeysAlike holds the function module's partition_keys and time_field to the patterns
// the function parses them with: its validations must contain both, written as HCL string literals.
func TestTerraformValidatesPartitionKeysAlike(t *testing.T) {
	hcl := func(pattern string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(pattern) }
	// The list pattern without its anchors: the modules check the whole list, then each path on its own.
	list := hcl(PartitionKeysPattern)
	path := hcl(transform.PathPattern)
	for _, file := range []string{"../../terraform/modules/function/variables.tf"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{list, path} {
			if !strings.Contains(string(src), `"`+want+`"`) {
				t.Errorf("%s does not validate partition_keys with %s", file, want)
			}
		}
	}
}

// TestTerraformRefusesTheReservedPartitionNames: the function and catalog modules refuse, as partition key names,
// exactly the names PARTITION_KEYS cannot use.
func TestTerraformRefusesTheReservedPartitionNames(t *testing.T) {
	list := `["` + strings.Join(ReservedPartitionNames(), `", "`) + `"]`
	for _, file := range []string{"../../terraform/modules/function/variables.tf", "../../terraform/modules/catalog/variables.tf"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), list) {
			t.Errorf("%s does not refuse the partition key names %s", file, list)
		}
	}
}

// TestCatalogProjectsTheEventYears holds the catalog module's year projection to the event times the function
// believes: a record filed under a year outside it could not be queried.
func TestCatalogProjectsTheEventYears(t *testing.T) {
	src, err := os.ReadFile("../../terraform/modules/catalog/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"projection.year.range"\s*=\s*"%d,%d"`, MinEventYear, MaxEventYear); !regexp.MustCompile(want).Match(src) {
		t.Fatalf("terraform/modules/catalog/main.tf does not project the years %d-%d (%s)", MinEventYear, MaxEventYear, want)
	}
}

// TestCatalogEnumValuesAreValuePattern: the catalog module validates enum projection values with ValuePattern and
// MaxValueBytes, so that it takes exactly the values the function writes.
func TestCatalogEnumValuesAreValuePattern(t *testing.T) {
	tf, err := os.ReadFile("../../terraform/modules/catalog/variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`length(v) <= %d && can(regex("^%s$", v))`, MaxValueBytes, ValuePattern)
	if !strings.Contains(string(tf), want) {
		t.Errorf("terraform/modules/catalog/variables.tf: partition_projection's values are not checked with %s", want)
	}
}

// TestEncodeValueIsInjective: over many short strings of characters that the encoding keeps, escapes, or could
// confuse (!, _, __null__, hex digits), no two share an encoding, and every encoding without a hash decodes back.
func TestEncodeValueIsInjective(t *testing.T) {
	alphabet := []string{"a", "F", "2", "_", "!", "!2", "-", "/", "é", "東", "__null__", "!!"}
	seen := map[string]string{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		enc := EncodeValue(s)
		if other, ok := seen[enc]; ok && other != s {
			t.Fatalf("%q and %q are both %q", s, other, enc)
		}
		seen[enc] = s
		if enc == NullValue || len(enc) > MaxValueBytes || !valueRE.MatchString(enc) {
			t.Fatalf("%q is %q", s, enc)
		}
		if !strings.Contains(enc, hashMark) {
			if dec, err := url.PathUnescape(strings.ReplaceAll(enc, "!", "%")); err != nil || dec != s {
				t.Fatalf("%q is %q, which decodes to %q (%v)", s, enc, dec, err)
			}
		}
	}
}
