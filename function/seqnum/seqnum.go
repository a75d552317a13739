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
	// Eight bytes at a time (every record of an event is checked): each is a digit if its high nibble is 3 and
	// adding 6 leaves it so. A byte whose high nibble is not 3 fails whatever a carry from the byte below does.
	const nibbles, sixes, threes = 0xF0F0F0F0F0F0F0F0, 0x0606060606060606, 0x3333333333333333
	for ; len(s) >= 8; s = s[8:] {
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if x&nibbles|((x+sixes)&nibbles)>>4 != threes {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
