package schema

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// The library builds an error tree, scopes and evaluation state for every value it visits, on Go maps that cost
// more to build than the record costs to decode. sure is a short cut for the records that pass, which are nearly
// all: it walks the library's compiled schema itself over the decoded record, for the keywords that records are
// usually checked with (type, enum, const, format, $ref, allOf, properties, required, additionalProperties, items,
// the length, size and range bounds, pattern), and answers true only when it is certain that the library would
// accept the record. Anything else — a keyword it does not know, a number it cannot compare exactly, a failure —
// answers false, and the library decides and explains. So sure may be incomplete, never wrong; a differential test
// holds it to that.

// maxSureDepth bounds the walk (schemas that refer to themselves recurse with the instance).
const maxSureDepth = 64

// sure reports whether v is certainly valid against s.
func sure(s *jsonschema.Schema, v jsonvalue.Value, depth int) bool {
	if depth > maxSureDepth {
		return false
	}
	if s.Bool != nil {
		return *s.Bool
	}
	if !known(s) {
		return false
	}
	if s.Types != nil && !s.Types.IsEmpty() && !typeMatches(*s.Types, v) {
		return false
	}
	if s.Const != nil && !equal(v, *s.Const) {
		return false
	}
	if s.Enum != nil && !inEnum(v, s.Enum.Values) {
		return false
	}
	if s.Format != nil && !formatted(s.Format, v) {
		return false
	}
	if s.Ref != nil && !sure(s.Ref, v, depth+1) {
		return false
	}
	for _, sub := range s.AllOf {
		if !sure(sub, v, depth+1) {
			return false
		}
	}
	switch v.Kind() {
	case jsonvalue.Object:
		return sureObject(s, v, depth)
	case jsonvalue.Array:
		return sureArray(s, v, depth)
	case jsonvalue.String:
		return sureString(s, v.Text())
	case jsonvalue.Number:
		return sureNumber(s, v)
	}
	return true
}

// known reports whether s uses only the keywords sure understands (annotations aside).
func known(s *jsonschema.Schema) bool {
	return s.RecursiveRef == nil && s.DynamicRef == nil && s.Not == nil && s.AnyOf == nil && s.OneOf == nil &&
		s.If == nil && s.MaxProperties == nil && s.MinProperties == nil && s.PropertyNames == nil &&
		s.PatternProperties == nil && s.Dependencies == nil && s.DependentRequired == nil &&
		s.DependentSchemas == nil && s.UnevaluatedProperties == nil && !s.UniqueItems && s.Contains == nil &&
		s.AdditionalItems == nil && s.PrefixItems == nil && s.UnevaluatedItems == nil && s.ContentEncoding == nil &&
		s.ContentMediaType == nil && s.ContentSchema == nil && s.MultipleOf == nil && s.Extensions == nil &&
		(s.Ref == nil || s.DraftVersion >= 2019) // before 2019-09, $ref made its siblings ignored
}

// formatted asks the library's own format check (strings are passed as they are, without the conversion).
func formatted(f *jsonschema.Format, v jsonvalue.Value) bool {
	if v.Kind() == jsonvalue.String {
		return f.Validate(v.Text()) == nil
	}
	return f.Validate(v.Any()) == nil
}

// sureObject checks the members; a member whose key a later one repeats is checked too, which can only make
// sure less certain.
func sureObject(s *jsonschema.Schema, obj jsonvalue.Value, depth int) bool {
	for _, name := range s.Required {
		if _, ok := obj.Get(name); !ok {
			return false
		}
	}
	for i := range obj.Len() {
		value := obj.Index(i)
		if sub, ok := s.Properties[obj.Key(i)]; ok {
			if !sure(sub, value, depth+1) {
				return false
			}
			continue
		}
		switch extra := s.AdditionalProperties.(type) {
		case bool:
			if !extra {
				return false
			}
		case *jsonschema.Schema:
			if !sure(extra, value, depth+1) {
				return false
			}
		}
	}
	return true
}

func sureArray(s *jsonschema.Schema, arr jsonvalue.Value, depth int) bool {
	if (s.MinItems != nil && arr.Len() < *s.MinItems) || (s.MaxItems != nil && arr.Len() > *s.MaxItems) {
		return false
	}
	items := s.Items2020
	if s.DraftVersion < 2020 {
		switch it := s.Items.(type) {
		case *jsonschema.Schema:
			items = it
		case nil:
		default:
			return false // tuple items
		}
	}
	if items != nil {
		for i := range arr.Len() {
			if !sure(items, arr.Index(i), depth+1) {
				return false
			}
		}
	}
	return true
}

func sureString(s *jsonschema.Schema, str string) bool {
	if s.MinLength != nil || s.MaxLength != nil {
		n := utf8.RuneCountInString(str)
		if (s.MinLength != nil && n < *s.MinLength) || (s.MaxLength != nil && n > *s.MaxLength) {
			return false
		}
	}
	return s.Pattern == nil || s.Pattern.MatchString(str)
}

func sureNumber(s *jsonschema.Schema, v jsonvalue.Value) bool {
	if s.Minimum == nil && s.Maximum == nil && s.ExclusiveMinimum == nil && s.ExclusiveMaximum == nil {
		return true
	}
	return beyond(v, s.Minimum, 1, false) && beyond(v, s.ExclusiveMinimum, 1, true) &&
		beyond(v, s.Maximum, -1, false) && beyond(v, s.ExclusiveMaximum, -1, true)
}

// beyond reports whether the number v minus bound certainly has the sign (or is 0, unless strict). Integers
// compare exactly; other numbers as float64, only when they are more than a rounding step apart.
func beyond(v jsonvalue.Value, bound *big.Rat, sign int, strict bool) bool {
	if bound == nil {
		return true
	}
	if n, err := strconv.ParseInt(v.Text(), 10, 64); err == nil && bound.IsInt() && bound.Num().IsInt64() {
		b := bound.Num().Int64()
		return (sign > 0 && (n > b || !strict && n == b)) || (sign < 0 && (n < b || !strict && n == b))
	}
	f, err := strconv.ParseFloat(v.Text(), 64)
	if err != nil {
		return false
	}
	b, _ := bound.Float64()
	// The true values lie strictly within one step of f and of b.
	if sign > 0 {
		return math.Nextafter(f, math.Inf(-1)) >= math.Nextafter(b, math.Inf(1))
	}
	return math.Nextafter(f, math.Inf(1)) <= math.Nextafter(b, math.Inf(-1))
}

// The library's bit for each JSON type, found by asking it (jsonschema.Types is a bit set of unexported bits).
var tNull, tBoolean, tNumber, tInteger, tString, tArray, tObject = typeBit("null"), typeBit("boolean"),
	typeBit("number"), typeBit("integer"), typeBit("string"), typeBit("array"), typeBit("object")

func typeBit(name string) int {
	var t jsonschema.Types
	t.Add(name)
	return int(t)
}

func typeMatches(types jsonschema.Types, v jsonvalue.Value) bool {
	want := int(types)
	switch v.Kind() {
	case jsonvalue.Null:
		return want&tNull != 0
	case jsonvalue.Bool:
		return want&tBoolean != 0
	case jsonvalue.String:
		return want&tString != 0
	case jsonvalue.Array:
		return want&tArray != 0
	case jsonvalue.Object:
		return want&tObject != 0
	}
	// An integer by the library's rule is a number without a fractional part; 1.0 and 1e3 are left to it.
	return want&tNumber != 0 || (want&tInteger != 0 && !strings.ContainsAny(v.Text(), ".eE"))
}

// inEnum reports whether v is certainly one of values.
func inEnum(v jsonvalue.Value, values []any) bool {
	for _, e := range values {
		if equal(v, e) {
			return true
		}
	}
	return false
}

// equal reports whether v certainly equals the schema's value e: strings, booleans and null exactly, numbers
// when both are the same integer. Containers are left to the library.
func equal(v jsonvalue.Value, e any) bool {
	switch v.Kind() {
	case jsonvalue.Null:
		return e == nil
	case jsonvalue.Bool:
		b, ok := e.(bool)
		return ok && b == v.True()
	case jsonvalue.String:
		s, ok := e.(string)
		return ok && s == v.Text()
	case jsonvalue.Number:
		n, ok := e.(interface{ String() string }) // json.Number, as the library reads schema documents
		if !ok {
			return false
		}
		a, err1 := strconv.ParseInt(v.Text(), 10, 64)
		b, err2 := strconv.ParseInt(n.String(), 10, 64)
		return err1 == nil && err2 == nil && a == b
	}
	return false
}
