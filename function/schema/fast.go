package schema

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The library builds an error tree, scopes and evaluation state for every value it visits, which costs several
// times the decoding of a record. sure is a short cut for the records that pass, which are nearly all: it walks
// the library's compiled schema itself for the keywords that records are usually checked with (type, enum, const,
// format, $ref, allOf, properties, required, additionalProperties, items, the length, size and range bounds,
// pattern) and answers true only when it is certain that the library would accept the value. Anything else — a
// keyword it does not know, a number it cannot compare exactly, a failure — answers false, and the library decides
// and explains. So sure may be incomplete, never wrong; a differential test holds it to that.

// maxSureDepth bounds the walk (schemas that refer to themselves recurse with the instance).
const maxSureDepth = 64

// sure reports whether v is certainly valid against s.
func sure(s *jsonschema.Schema, v any, depth int) bool {
	if depth > maxSureDepth {
		return false
	}
	if s.Bool != nil {
		return *s.Bool
	}
	if !known(s) {
		return false
	}
	if s.Types != nil && !s.Types.IsEmpty() && !typeMatches(s.Types, v) {
		return false
	}
	if s.Const != nil && !equal(v, *s.Const) {
		return false
	}
	if s.Enum != nil && !inEnum(v, s.Enum.Values) {
		return false
	}
	if s.Format != nil && s.Format.Validate(v) != nil {
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
	switch x := v.(type) {
	case map[string]any:
		return sureObject(s, x, depth)
	case []any:
		return sureArray(s, x, depth)
	case string:
		return sureString(s, x)
	case nil, bool:
		return true
	}
	return sureNumber(s, v)
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

func sureObject(s *jsonschema.Schema, obj map[string]any, depth int) bool {
	for _, name := range s.Required {
		if _, ok := obj[name]; !ok {
			return false
		}
	}
	for name, value := range obj {
		if sub, ok := s.Properties[name]; ok {
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

func sureArray(s *jsonschema.Schema, arr []any, depth int) bool {
	if (s.MinItems != nil && len(arr) < *s.MinItems) || (s.MaxItems != nil && len(arr) > *s.MaxItems) {
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
		for _, e := range arr {
			if !sure(items, e, depth+1) {
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

func sureNumber(s *jsonschema.Schema, v any) bool {
	if s.Minimum == nil && s.Maximum == nil && s.ExclusiveMinimum == nil && s.ExclusiveMaximum == nil {
		return true
	}
	return beyond(v, s.Minimum, 1, false) && beyond(v, s.ExclusiveMinimum, 1, true) &&
		beyond(v, s.Maximum, -1, false) && beyond(v, s.ExclusiveMaximum, -1, true)
}

// beyond reports whether v - bound certainly has the sign (or is 0, unless strict). Integers compare exactly; other
// numbers as float64 only when they are more than a rounding step apart from the bound.
func beyond(v any, bound *big.Rat, sign int, strict bool) bool {
	if bound == nil {
		return true
	}
	if n, ok := exactInt(v); ok && bound.IsInt() && bound.Num().IsInt64() {
		b := bound.Num().Int64()
		return (sign > 0 && (n > b || !strict && n == b)) || (sign < 0 && (n < b || !strict && n == b))
	}
	var f float64
	switch x := v.(type) {
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(x), 64); err != nil {
			return false
		}
	case float64:
		f = x
	case int:
		f = float64(x)
	default:
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

func typeMatches(types *jsonschema.Types, v any) bool {
	want := int(*types)
	switch v.(type) {
	case nil:
		return want&tNull != 0
	case bool:
		return want&tBoolean != 0
	case string:
		return want&tString != 0
	case []any:
		return want&tArray != 0
	case map[string]any:
		return want&tObject != 0
	}
	if want&tNumber != 0 {
		return isNumber(v)
	}
	if want&tInteger != 0 {
		return isInteger(v)
	}
	return false
}

func isNumber(v any) bool {
	switch x := v.(type) {
	case json.Number, int, int64, *big.Int:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return false
}

// isInteger reports an integer by the library's rule (a number with no fractional part), answering false when
// it cannot tell cheaply.
func isInteger(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return !strings.ContainsAny(string(x), ".eE") // 1.0 and 1e3 are integers too: the library decides those
	case int, int64, *big.Int:
		return true
	case float64:
		return x == math.Trunc(x) && !math.IsInf(x, 0)
	}
	return false
}

// exactInt returns v as an int64 when it is one exactly.
func exactInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// inEnum reports whether v is certainly one of values.
func inEnum(v any, values []any) bool {
	for _, e := range values {
		if equal(v, e) {
			return true
		}
	}
	return false
}

// equal reports whether v certainly equals the schema value e: strings, booleans and null exactly, numbers when
// both are the same integer. Containers are left to the library.
func equal(v, e any) bool {
	switch x := v.(type) {
	case nil:
		return e == nil
	case bool:
		b, ok := e.(bool)
		return ok && b == x
	case string:
		s, ok := e.(string)
		return ok && s == x
	case map[string]any, []any:
		return false
	}
	a, ok1 := exactInt(v)
	b, ok2 := exactInt(e)
	return ok1 && ok2 && a == b
}
