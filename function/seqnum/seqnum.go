// Package seqnum orders Kinesis sequence numbers. They are decimal strings of up to 128 digits, too large for
// any integer type, and comparing them as plain strings is wrong when their lengths differ.
package seqnum

import "strings"

// Compare returns -1, 0 or +1 as a is before, equal to or after b. Both must be decimal digit strings;
// leading zeros are ignored.
func Compare(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// Valid reports whether s is a non-empty string of decimal digits of at most 128 characters.
func Valid(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
