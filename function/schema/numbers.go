package schema

import (
	"errors"
	"strconv"
	"strings"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// The library reads every number as a big.Rat. For a literal such as 1e9999999 that fails, and the library then
// dereferences nil and panics; for 1e999999 it succeeds after computing a million-digit power of ten, which
// costs tens of milliseconds per number. No column type can hold such a number either. So a record is checked
// first: a number is out of range when float64 cannot represent its magnitude, that is, when parsing it
// overflows to ±Inf or underflows to 0 while it has a non-zero digit (beyond about 1.8e308 or below about
// 4.9e-324). The record is then invalid with the reason `schema: /n: number out of range`.

// errOutOfRange is the reason, after the number's location.
const errOutOfRange = "number out of range"

// outOfRange returns the location (a JSON pointer) of v's first number that is out of range, by document order.
func outOfRange(v jsonvalue.Value) (string, bool) {
	var path []string
	var walk func(v jsonvalue.Value) bool
	walk = func(v jsonvalue.Value) bool {
		switch v.Kind() {
		case jsonvalue.Number:
			return !representable(v.Text())
		case jsonvalue.Array, jsonvalue.Object:
			for i := range v.Len() {
				if v.Kind() == jsonvalue.Object {
					path = append(path, v.Key(i))
				} else {
					path = append(path, strconv.Itoa(i))
				}
				if walk(v.Index(i)) {
					return true
				}
				path = path[:len(path)-1]
			}
		}
		return false
	}
	if walk(v) {
		return pointer(path), true
	}
	return "", false
}

// representable reports whether the magnitude of a JSON number literal is within float64's range (or is 0).
func representable(lit string) bool {
	// A literal without an exponent and shorter than the largest float64 (309 digits) or the smallest (324 zeros
	// after the point) is in range: the common case, decided without parsing.
	if len(lit) < 300 && !hasExponent(lit) {
		return true
	}
	f, err := strconv.ParseFloat(lit, 64)
	if errors.Is(err, strconv.ErrRange) {
		return false
	}
	if f != 0 {
		return true
	}
	mantissa, _, _ := strings.Cut(strings.ToLower(lit), "e")
	return strings.Trim(mantissa, "-0.") == "" // a true zero, such as 0.0e-999
}

func hasExponent(lit string) bool {
	for i := 0; i < len(lit); i++ {
		if lit[i]|0x20 == 'e' {
			return true
		}
	}
	return false
}
