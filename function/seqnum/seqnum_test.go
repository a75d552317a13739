package seqnum

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1", "2", -1},
		{"10", "9", 1}, // string comparison would say -1
		{"49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588898", 0},
		{"49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692540925702759324208523137515618", -1},
		{"007", "7", 0},
		{"0", "", 0},
	}
	for _, c := range cases {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Compare(c.b, c.a); got != -c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{"123": true, "": false, "12a": false, "-1": false} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzValid holds Valid, which reads eight bytes at a time, to the check of each byte.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"0", "49590338271490256608559692538361571095921575989136588898", "4959033827149025/",
		"4959033827149025:", "12345678\xff", "1234567\xfa9", "\xfa\xfa\xfa\xfa\xfa\xfa\xfa\xfa", "99999999", "9999999@",
		strings.Repeat("1", 128), strings.Repeat("1", 129), ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := s != "" && len(s) <= 128
		for i := 0; i < len(s); i++ {
			want = want && s[i] >= '0' && s[i] <= '9'
		}
		if got := Valid(s); got != want {
			t.Fatalf("Valid(%q) = %v, want %v", s, got, want)
		}
	})
}
