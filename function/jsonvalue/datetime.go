package jsonvalue

// DateTime is the fields of an RFC 3339 date-time, as ReadDateTime reads them.
type DateTime struct {
	Year, Month, Day, Hour, Minute, Second int
	Fraction                               string // the digits of the fraction of a second, if any
	Offset                                 int    // from UTC, in seconds, east positive
}

// ReadDateTime reads the RFC 3339 date-time s (JSON Schema's "date-time"): YYYY-MM-DD, T or t, hh:mm:ss, an
// optional fraction (a period and digits), and Z, z or an offset ±hh:mm, every field within its range. It reads a
// subset of RFC 3339, for callers to leave the rest to a slower reader: a leap second (:60), valid or not depending
// on the offset, is not read.
func ReadDateTime(s string) (DateTime, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
		s[13] != ':' || s[16] != ':' {
		return DateTime{}, false
	}
	var d DateTime
	var ok [6]bool
	d.Year, ok[0] = decimal(s[0:4])
	d.Month, ok[1] = decimal(s[5:7])
	d.Day, ok[2] = decimal(s[8:10])
	d.Hour, ok[3] = decimal(s[11:13])
	d.Minute, ok[4] = decimal(s[14:16])
	d.Second, ok[5] = decimal(s[17:19])
	if ok != [6]bool{true, true, true, true, true, true} || d.Month < 1 || d.Month > 12 || d.Day < 1 ||
		d.Day > daysIn(d.Month, d.Year) || d.Hour > 23 || d.Minute > 59 || d.Second > 59 {
		return DateTime{}, false
	}
	rest := s[len("2006-01-02T15:04:05"):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return DateTime{}, false
		}
		d.Fraction, rest = rest[1:n], rest[n:]
	}
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == len("+07:00") && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, okh := decimal(rest[1:3])
		m, okm := decimal(rest[4:6])
		if !okh || !okm || h > 23 || m > 59 {
			return DateTime{}, false
		}
		d.Offset = h*3600 + m*60
		if rest[0] == '-' {
			d.Offset = -d.Offset
		}
	default:
		return DateTime{}, false
	}
	return d, true
}

// decimal is the value of s, which must be all decimal digits.
func decimal(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
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
