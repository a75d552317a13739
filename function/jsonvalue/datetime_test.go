package jsonvalue

import (
	"strings"
	"testing"
	"time"
)

// dateTimes are date-times ReadDateTime reads (the first line) and ones it leaves to slower readers, valid or not.
var dateTimes = []string{
	"2026-11-25T10:00:00Z", "2026-11-25t10:00:00.123z", "2026-11-25T10:00:00.123456789+01:00", "0000-01-01T00:00:00Z",
	"9999-12-31T23:59:59.999999-23:59", "2024-02-29T12:00:00Z", "2000-02-29T00:00:00+05:30", "2026-06-30T00:00:00Z",
	"2026-02-30T00:00:00Z", "2023-02-29T12:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-32T00:00:00Z",
	"2026-12-31T23:59:60Z", "2026-11-25T10:00:00.Z", "2026-11-25T24:00:00Z", "2026-11-25T10:00:00+24:00",
	"2026-11-25T10:00:00+01:60", "2026-11-25T10:00:00", "2026-11-25 10:00:00Z", "2026-1-25T10:00:00Z",
	"+026-11-25T10:00:00Z", "2026-11-25T10:00:00,5Z", "2026-11-25T10-00:00Z", "2026-11-25T10:00:00+0100",
	"2026-11-25T10:00:00+01:0x", "2026/11-25T10:00:00Z", "2026-11-25T10:00:00ZZ",
	// bytes just below '0' and just above '9' where digits go
	"2026-1/-25T10:00:00Z", "2026-11-2:T10:00:00Z", "/026-11-25T10:00:00Z", "2026-11-25T10:00:00+0:/00",
}

// checkReadDateTime fails t unless what ReadDateTime reads of s is what time.Parse reads (RFC 3339, upper case), and
// what it read before it read two digits at a time (refReadDateTime).
func checkReadDateTime(t *testing.T, s string) {
	t.Helper()
	d, ok := ReadDateTime(s)
	if rd, rok := refReadDateTime(s); d != rd || ok != rok {
		t.Fatalf("%q: ReadDateTime read %+v, %v; before, %+v, %v", s, d, ok, rd, rok)
	}
	if !ok {
		return
	}
	ts, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		t.Fatalf("%q: ReadDateTime read %+v; time.Parse: %v", s, d, err)
	}
	_, offset := ts.Zone()
	nanos := 0
	for i := range 9 {
		nanos *= 10
		if i < len(d.Fraction) {
			nanos += int(d.Fraction[i] - '0')
		}
	}
	got := [...]int{d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, d.Offset, nanos}
	want := [...]int{ts.Year(), int(ts.Month()), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), offset, ts.Nanosecond()}
	if len(d.Fraction) <= 9 && got != want {
		t.Fatalf("%q: ReadDateTime read %v, time.Parse %v", s, got, want)
	}
}

// TestReadDateTime: ReadDateTime reads what time.Parse reads, and the common forms.
func TestReadDateTime(t *testing.T) {
	for i, s := range dateTimes {
		checkReadDateTime(t, s)
		if _, ok := ReadDateTime(s); ok != (i < 8) {
			t.Errorf("ReadDateTime(%q) read it: %v, want %v", s, ok, i < 8)
		}
	}
}

func FuzzReadDateTime(f *testing.F) {
	for _, s := range dateTimes {
		f.Add(s)
	}
	f.Fuzz(checkReadDateTime)
}
