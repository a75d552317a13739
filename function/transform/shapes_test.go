package transform

import "testing"

// TestSameKey holds sameKey to == for every length up to 24 bytes, with the strings equal and differing in each
// one byte.
func TestSameKey(t *testing.T) {
	const text = "abcdefghijklmnopqrstuvwx"
	for n := 0; n <= len(text); n++ {
		a := text[:n]
		checkSameKey(t, a, string([]byte(a)))
		for i := range n {
			b := []byte(a)
			b[i] ^= 0x20
			checkSameKey(t, a, string(b))
		}
		if n > 0 {
			checkSameKey(t, a, a[:n-1])
		}
	}
}

func FuzzSameKey(f *testing.F) {
	for _, p := range [][2]string{{"", ""}, {"id", "ip"}, {"name", "nama"}, {"event_id", "event_id"},
		{"user_agent", "user_agenT"}, {"duration_ms", "duration_s"}, {"sixteen_bytes_ab", "sixteen_bytes_ac"},
		{"seventeen_bytes_a", "seventeen_bytes_b"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(checkSameKey)
}

func checkSameKey(t *testing.T, a, b string) {
	if got := sameKey(a, b); got != (a == b) {
		t.Fatalf("sameKey(%q, %q) = %v", a, b, got)
	}
}
