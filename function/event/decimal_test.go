package event

import (
	"math"
	"strconv"
	"testing"
)

// decimalSeeds are numbers around the edges of shortDecimal: fractions, signs, 15 and 16 digits, exponents.
var decimalSeeds = []string{
	"0", "-0", "1795600800", "1795600800.000", "1795600800.123", "1795600800.1", "0.1", "-1.5", "123456789012345",
	"1234567890123456", "12345678901234.5", "0.000000000000001", "1e3", "1.5E-2", "1.", ".5", "-", "", "1.2.3", "9" + "9.99999999999999",
}

// TestShortDecimal holds shortDecimal to strconv.ParseFloat, bit for bit, on the numbers it takes.
func TestShortDecimal(t *testing.T) {
	for _, s := range decimalSeeds {
		sameDecimal(t, s)
	}
	for ms := range 2000 { // every millisecond of a second, as Lambda writes arrival times
		sameDecimal(t, "1795600800."+strconv.Itoa(1000 + ms*7919%1000)[1:])
	}
}

func sameDecimal(t *testing.T, s string) {
	t.Helper()
	got, ok := shortDecimal([]byte(s))
	if !ok {
		return
	}
	want, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("shortDecimal(%q) = %v; strconv.ParseFloat: %v, %v", s, got, want, err)
	}
}

func FuzzShortDecimal(f *testing.F) {
	for _, s := range decimalSeeds {
		f.Add(s)
	}
	f.Fuzz(sameDecimal)
}
