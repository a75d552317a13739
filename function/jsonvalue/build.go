package jsonvalue

import (
	"errors"
	"strconv"
	"strings"
)

// Constructors for code that builds a tree itself rather than decoding text (the transform's evaluator builds its
// output's). The caller keeps what Decode guarantees: a Number's text is a JSON number literal, a String's text is
// valid UTF-8, and an Object's members are its key (a String) and value in turn. Empty containers have nil members,
// as decoded ones do.

// MakeString returns the string s.
func MakeString(s string) Value { return Value{kind: String, text: s} }

// MakeNumber returns the number written as literal.
func MakeNumber(literal string) Value { return Value{kind: Number, text: literal} }

// MakeBool returns true or false.
func MakeBool(b bool) Value {
	if b {
		return Value{kind: Bool, text: "true"}
	}
	return Value{kind: Bool, text: "false"}
}

// MakeArray returns the array of elems, which it keeps.
func MakeArray(elems []Value) Value { return made(Array, elems) }

// MakeObject returns the object of members (key, value, key, value, …), which it keeps.
func MakeObject(members []Value) Value { return made(Object, members) }

// made returns a container of kind with kids.
func made(kind Kind, kids []Value) Value {
	v := Value{kind: kind}
	v.setKids(kids)
	return v
}

// Members returns the members of an object, its key and value in turn, or the elements of an array: the value's
// own memory, for reading only.
func Members(v Value) []Value { return v.elems() }

// MaxDepth is the deepest nesting of arrays and objects that Decode accepts: a tree built otherwise should keep to
// it too, as its text would have to.
const MaxDepth = maxDepth

// Count returns the number of values and object keys inside v, as Decoder.MaxValues counts them: the members of
// its containers, at every depth (v itself is not one).
func Count(v Value) int {
	n := 0
	for _, k := range v.elems() {
		n += 1 + Count(k)
	}
	return n
}

// Equal reports whether a and b are the same tree: the same kinds and texts, and the same members in the same order.
// Whether a string is known to be plain, and the unpaired surrogate escapes behind its U+FFFD, do not count.
func Equal(a, b Value) bool {
	if a.kind != b.kind || a.text != b.text || len(a.elems()) != len(b.elems()) {
		return false
	}
	for i := range a.elems() {
		if !Equal(a.elems()[i], b.elems()[i]) {
			return false
		}
	}
	return true
}

// ParseInt returns the integer a JSON number literal writes, when it has no fraction or exponent and fits an int64,
// as strconv.ParseInt(lit, 10, 64) reads it (except a leading "+", which JSON does not allow and ParseInt rejects);
// quicker for the short literals records mostly have.
func ParseInt(lit string) (int64, bool) {
	digits := lit
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 { // 18 digits always fit
		i, err := strconv.ParseInt(lit, 10, 64)
		return i, err == nil
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(lit) {
		n = -n
	}
	return n, true
}

// ExactInt64 is the value of the JSON number literal s if it is an integer that fits in 64 bits, as "5.000" and
// "1.5e3" are. It reads the decimal digits rather than a float64, which cannot tell 2^53+1 from 2^53, nor
// 0.99999999999999999999 from 1; and rather than a big.Rat, which would compute 10^1000000 for an exponent.
func ExactInt64(s string) (int64, bool) {
	if n, ok := ParseInt(s); ok { // the literals records mostly have, quickly
		return n, true
	}
	mantissa, exponent, hasExponent := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if hasExponent {
		e, err := strconv.Atoi(exponent) // clamped when out of range, which the bounds below treat alike
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, false
		}
		exp = min(max(e, -1e9), 1e9)
	}
	sign := ""
	if strings.HasPrefix(mantissa, "-") {
		sign, mantissa = "-", mantissa[1:]
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	exp -= len(frac)
	significant := strings.TrimRight(digits, "0")
	exp += len(digits) - len(significant) // the value is significant × 10^exp
	switch {
	case significant == "":
		return 0, true
	case exp < 0 || len(significant)+exp > 19: // a fraction, or more than 19 digits
		return 0, false
	}
	n, err := strconv.ParseInt(sign+significant+strings.Repeat("0", exp), 10, 64)
	return n, err == nil
}
