package schema

import (
	"math"
	"strconv"
)

// Scalar checks for the fast path (fast.go), on the text of values the decoder has already checked against the
// JSON grammar.

// parseFloat returns the float64 nearest a number literal, or NaN when it is out of range.
func parseFloat(lit string) float64 {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// dateTime reports whether s is certainly a date-time by the library's rule (RFC 3339, "format": "date-time"):
// YYYY-MM-DD, T or t, hh:mm:ss, an optional fraction, and Z, z or an offset ±hh:mm, every field within its range.
// It accepts a subset of what the library accepts: a leap second (:60), which the library checks against the
// offset, is left to it, and so are the forms it takes beyond RFC 3339 (strconv.Atoi reads "+1" as an hour).
func dateTime(s string) bool {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return false
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	hour, ok4 := digits(s, 11, 2)
	minute, ok5 := digits(s, 14, 2)
	second, ok6 := digits(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59 {
		return false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" || rest == "z" {
		return true
	}
	if len(rest) != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' {
		return false
	}
	zh, ok1 := digits(rest, 1, 2)
	zm, ok2 := digits(rest, 4, 2)
	return ok1 && ok2 && zh <= 23 && zm <= 59
}

// digits reads the n decimal digits of s at i.
func digits(s string, i, n int) (int, bool) {
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// daysIn is the number of days of a month of the proleptic Gregorian calendar, as package time counts them.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
