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
	century, ok0 := digits2(s, 0)
	year, ok1 := digits2(s, 2)
	d.Year = century*100 + year
	month, ok2 := digits2(s, 5)
	day, ok3 := digits2(s, 8)
	hour, ok4 := digits2(s, 11)
	minute, ok5 := digits2(s, 14)
	second, ok6 := digits2(s, 17)
	d.Month, d.Day, d.Hour, d.Minute, d.Second = month, day, hour, minute, second
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || d.Month < 1 || d.Month > 12 || d.Day < 1 ||
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
		h, okh := digits2(rest, 1)
		m, okm := digits2(rest, 4)
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

// digits2 is the value of the two decimal digits of s at i, and whether they are digits: a byte below '0' wraps
// around to above 9.
func digits2(s string, i int) (int, bool) {
	b := s[i : i+2]
	hi, lo := b[0]-'0', b[1]-'0'
	return int(hi)*10 + int(lo), hi <= 9 && lo <= 9
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
