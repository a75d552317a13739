package transform

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// The native evaluator's arithmetic. gojq passes a number it only moves through as the json.Number it came as, and
// writes it verbatim; one it computes with, it reads as an int or a float64 (a big.Int or an infinity beyond those).
// The native evaluator keeps every number as its text and reads it the same way when it computes. A float64 it
// computes keeps a trailing dot while evaluating when its text would have no dot or exponent ("3.", "-0."), so that
// it stays a float (3.0 * -1 is -0, 3 * -1 is 0); the writer drops the dot, as gojq writes 3.0 as 3. It computes
// only integers within ±2^53 (beyond, gojq's ints overflow to big.Int) and finite floats; anything else, and a big
// integer in the input, is left to gojq.

// maxExact is 2^53: integers up to it are exact in a float64.
const maxExact = 1 << 53

// num is a number as gojq computes with it: an int or a float64.
type num struct {
	isInt bool
	i     int64
	f     float64
}

// parseNum reads a number's text as gojq reads a json.Number, or reports false where the native evaluator stops.
func parseNum(text string) (num, bool) {
	if i, ok := jsonvalue.ParseInt(text); ok {
		return num{isInt: true, i: i}, -maxExact <= i && i <= maxExact
	}
	if !strings.ContainsAny(text, ".eE") {
		return num{}, false // beyond int64: a big.Int
	}
	f, err := strconv.ParseFloat(text, 64)
	return num{f: f}, err == nil // out of range: an infinity
}

func (n num) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

// value returns the number's text (as gojq writes it, but for the dot of an integral float), or false for NaN and
// the infinities.
func (n num) value() (jsonvalue.Value, bool) {
	text, ok := n.appendText(nil)
	return jsonvalue.MakeNumber(string(text)), ok
}

// appendText appends the text of value to dst, or reports false for NaN and the infinities.
func (n num) appendText(dst []byte) ([]byte, bool) {
	if n.isInt {
		if n.i < -maxExact || n.i > maxExact {
			return dst, false
		}
		return strconv.AppendInt(dst, n.i, 10), true
	}
	f := n.f
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	// As gojq's encoder writes a float64: exponent form only for the very small and the very large.
	format := byte('f')
	if x := math.Abs(f); x != 0 && x < 1e-6 || x >= 1e21 {
		format = 'e'
	}
	start := len(dst)
	buf := strconv.AppendFloat(dst, f, format, -1, 64)
	if n := len(buf); format == 'e' && n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
		buf[n-2] = buf[n-1] // e-07 is written e-7
		buf = buf[:n-1]
	}
	if format == 'f' && !bytes.ContainsRune(buf[start:], '.') {
		buf = append(buf, '.') // a float, though integral
	}
	return buf, true
}

// arith computes l op r as gojq does, op being one of + - * / %; false where gojq would raise an error (division by
// zero) or the result is not native.
func arith(op gojq.Operator, l, r num) (num, bool) {
	if l.isInt && r.isInt {
		a, b := l.i, r.i // both within ±2^53: no sum or difference overflows
		switch op {
		case gojq.OpAdd:
			return num{isInt: true, i: a + b}, true
		case gojq.OpSub:
			return num{isInt: true, i: a - b}, true
		case gojq.OpMul:
			if b != 0 && abs(a) > maxExact/abs(b) {
				return num{}, false
			}
			return num{isInt: true, i: a * b}, true
		case gojq.OpDiv:
			if b == 0 {
				return num{}, false
			}
			if a%b == 0 {
				return num{isInt: true, i: a / b}, true
			}
			return num{f: float64(a) / float64(b)}, true
		case gojq.OpMod:
			if b == 0 {
				return num{}, false
			}
			return num{isInt: true, i: a % b}, true
		}
		return num{}, false
	}
	x, y := l.float(), r.float()
	switch op {
	case gojq.OpAdd:
		return num{f: x + y}, true
	case gojq.OpSub:
		return num{f: x - y}, true
	case gojq.OpMul:
		return num{f: x * y}, true
	case gojq.OpDiv:
		return num{f: x / y}, y != 0
	case gojq.OpMod:
		// gojq truncates both to ints; within ±2^53 that is Go's conversion.
		if math.Abs(x) > maxExact || math.Abs(y) > maxExact || int64(y) == 0 {
			return num{}, false
		}
		return num{isInt: true, i: int64(x) % int64(y)}, true
	}
	return num{}, false
}

func abs(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

// appendDecimalQuotient appends a / b for integers where b is a power of ten from 10 to 10^6 that does not divide
// a, and |a| < 10^15 (ms to s, cents to units): gojq's float64 quotient, as it writes it, without computing it. The
// quotient has at most 15 significant digits, so the float64 nearest to it has no shorter text than its own
// decimal one, which strconv's shortest formatting writes; and it is at least 10^-6, which gojq writes without an
// exponent. For any other a and b it reports false.
func appendDecimalQuotient(dst []byte, a, b int64) ([]byte, bool) {
	return appendDecimal(dst, a, b, decimalPower(b))
}

// decimalPower is k for b = 10^k, 1 <= k <= 6; else 0.
func decimalPower(b int64) int {
	k := 0
	for p := b; p > 1; p /= 10 {
		if p%10 != 0 {
			return 0
		}
		k++
	}
	if k > 6 {
		return 0
	}
	return k
}

// appendDecimal is appendDecimalQuotient for b = 10^k, k from decimalPower.
func appendDecimal(dst []byte, a, b int64, k int) ([]byte, bool) {
	if k == 0 || a%b == 0 || abs(a) >= 1e15 {
		return dst, false
	}
	buf := dst
	if a < 0 {
		buf, a = append(buf, '-'), -a
	}
	buf = append(strconv.AppendInt(buf, a/b, 10), '.')
	buf = append(buf, "000000"[:k]...)
	for i, frac := len(buf)-1, a%b; frac > 0; i, frac = i-1, frac/10 {
		buf[i] = byte('0' + frac%10)
	}
	for buf[len(buf)-1] == '0' { // the fraction is not 0: a digit before stays
		buf = buf[:len(buf)-1]
	}
	return buf, true
}
