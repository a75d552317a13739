package jsonvalue

// refReadDateTime is ReadDateTime as it was before it read its fields two digits at a time (as at commit 30004c1), the
// oracle FuzzReadDateTime holds it to.
func refReadDateTime(s string) (DateTime, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
		s[13] != ':' || s[16] != ':' {
		return DateTime{}, false
	}
	var d DateTime
	var ok [6]bool
	d.Year, ok[0] = refDecimal(s[0:4])
	d.Month, ok[1] = refDecimal(s[5:7])
	d.Day, ok[2] = refDecimal(s[8:10])
	d.Hour, ok[3] = refDecimal(s[11:13])
	d.Minute, ok[4] = refDecimal(s[14:16])
	d.Second, ok[5] = refDecimal(s[17:19])
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
		h, okh := refDecimal(rest[1:3])
		m, okm := refDecimal(rest[4:6])
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

// refDecimal is the value of s, which must be all decimal digits.
func refDecimal(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
