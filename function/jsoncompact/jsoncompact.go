// Package jsoncompact validates and compacts JSON text (RFC 8259) in one tight pass. encoding/json's scanner calls a
// state function per byte, which caps it near 150 MB/s; batch mode validates and compacts every byte of every
// record, so the handler needs a faster path. The grammar is the same as encoding/json's: a differential fuzz test
// holds the two to the same answers. UTF-8 is not checked here (utf8.Valid does that faster). Most producers send
// compact JSON already: AppendCompact first checks for that in a tighter loop, and copies such a value as it is.
package jsoncompact

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// maxDepth bounds nesting, so hostile input cannot grow the stack without limit (encoding/json uses 10000 too).
const maxDepth = 10000

// SyntaxError describes invalid JSON and where it was found.
type SyntaxError struct {
	Offset int // byte offset of the problem
	msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.Offset) }

// Validate checks that src is exactly one JSON value, with optional white space around it.
func Validate(src []byte) error {
	s := scanner{src: src}
	return s.run()
}

// AppendCompact appends src without insignificant white space to dst. It fails, appending nothing, when src is
// not exactly one JSON value.
func AppendCompact(dst, src []byte) ([]byte, error) {
	if compact(src) {
		return append(dst, src...), nil
	}
	return appendScanned(dst, src)
}

// appendScanned is AppendCompact by the scanner alone.
func appendScanned(dst, src []byte) ([]byte, error) {
	s := scanner{src: src, dst: dst, write: true}
	if err := s.run(); err != nil {
		return dst, err
	}
	return s.dst, nil
}

// ScanValue reads the JSON value that starts at src[i], after optional white space, without copying it: it returns
// the offset just past the value. depth is how deeply the value is nested already (0 for a top-level value); it
// counts towards the same limit. Decoders that take apart a document of a known shape use it to check and step
// over the values they do not keep.
func ScanValue(src []byte, i, depth int) (int, error) {
	s := scanner{src: src, pos: i, depth: depth}
	if err := s.value(); err != nil {
		return 0, err
	}
	return s.pos, nil
}

// ScanString reads the JSON string whose opening quote is at src[i]: it returns the offset just past the closing
// quote, and whether the string holds an escape sequence (without one, the bytes between the quotes are its value
// when they are valid UTF-8).
func ScanString(src []byte, i int) (end int, escaped bool, err error) {
	s := scanner{src: src, pos: i}
	if i >= len(src) || src[i] != '"' {
		return 0, false, s.errf("no string at byte %d", i)
	}
	if err := s.string(); err != nil {
		return 0, false, err
	}
	return s.pos, s.escaped, nil
}

// ASCIIString reports whether the JSON string whose opening quote is at src[i] holds only printable ASCII and no
// escape, and if so returns the offset just past its closing quote: then the bytes between the quotes are its value.
// It is ScanString's fast path for short strings that are plain text, such as identifiers.
func ASCIIString(src []byte, i int) (end int, ok bool) {
	if i >= len(src) || src[i] != '"' {
		return 0, false
	}
	for i = plainRun(src, i+1, highs); i < len(src) && src[i] >= 0x20 && src[i] < 0x80 && src[i] != '"' && src[i] != '\\'; i++ {
	}
	if i >= len(src) || src[i] != '"' {
		return 0, false
	}
	return i + 1, true
}

type scanner struct {
	src     []byte
	pos     int
	dst     []byte
	write   bool
	mark    int // start of the significant bytes not yet copied to dst
	depth   int
	escaped bool // the last string scanned held an escape sequence
}

func (s *scanner) run() error {
	if err := s.value(); err != nil {
		return err
	}
	s.space()
	if s.pos < len(s.src) {
		return s.errf("invalid character %q after top-level value", s.src[s.pos])
	}
	if s.write {
		s.dst = append(s.dst, s.src[s.mark:s.pos]...)
	}
	return nil
}

func (s *scanner) errf(format string, args ...any) error {
	return &SyntaxError{Offset: s.pos, msg: fmt.Sprintf(format, args...)}
}

// space skips white space. When compacting, it copies the pending run of significant bytes before the white
// space, so compact input is copied in a few large appends rather than token by token.
func (s *scanner) space() {
	// Most tokens are not preceded by white space: decide that without a call.
	if s.pos < len(s.src) && s.src[s.pos] > ' ' {
		return
	}
	s.skipSpace()
}

func (s *scanner) skipSpace() {
	start := s.pos
loop:
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			break loop
		}
	}
	if s.write && s.pos > start {
		s.dst = append(s.dst, s.src[s.mark:start]...)
		s.mark = s.pos
	}
}

func (s *scanner) value() error {
	c, err := s.next()
	if err != nil {
		return err
	}
	switch {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		return s.string()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		return s.errf("invalid character %q looking for beginning of value", c)
	}
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.errf("exceeded max depth of %d", maxDepth)
	}
	return nil
}

func (s *scanner) object() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++
	if s.space(); s.pos < len(s.src) && s.src[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		c, err := s.next()
		if err != nil {
			return err
		}
		if c != '"' {
			return s.errf("invalid character %q looking for beginning of object key string", c)
		}
		if err := s.string(); err != nil {
			return err
		}
		if c, err = s.next(); err != nil {
			return err
		}
		if c != ':' {
			return s.errf("invalid character %q after object key", c)
		}
		s.pos++
		if err := s.value(); err != nil {
			return err
		}
		if done, err := s.separator('}', "after object key:value pair"); done || err != nil {
			return err
		}
	}
}

func (s *scanner) array() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++
	if s.space(); s.pos < len(s.src) && s.src[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if err := s.value(); err != nil {
			return err
		}
		if done, err := s.separator(']', "after array element"); done || err != nil {
			return err
		}
	}
}

// next skips white space and returns the byte it stops at, or an error at the end of the input.
func (s *scanner) next() (byte, error) {
	s.space()
	if s.pos >= len(s.src) {
		return 0, s.errf("unexpected end of JSON input")
	}
	return s.src[s.pos], nil
}

// separator reads what follows a member or element: a comma (more to come) or the closing byte (done).
func (s *scanner) separator(closing byte, where string) (done bool, err error) {
	c, err := s.next()
	if err != nil {
		return false, err
	}
	switch c {
	case ',':
		s.pos++
		return false, nil
	case closing:
		s.pos++
		s.depth--
		return true, nil
	}
	return false, s.errf("invalid character %q %s", c, where)
}

func (s *scanner) string() error {
	s.pos++ // opening quote
	s.escaped = false
	src := s.src
	for {
		// The common case: plain bytes, eight at a time, then one at a time near the end.
		i := plainRun(src, s.pos, 0)
		for i < len(src) {
			c := src[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		s.pos = i
		if i >= len(src) {
			return s.errf("unexpected end of JSON input")
		}
		switch c := src[i]; {
		case c == '"':
			s.pos++
			return nil
		case c < 0x20:
			return s.errf("invalid character %q in string literal", c)
		}
		// An escape.
		s.escaped = true
		if i+1 >= len(src) {
			s.pos = len(src)
			return s.errf("unexpected end of JSON input")
		}
		switch src[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.pos = i + 2
		case 'u':
			for k := i + 2; k < i+6; k++ {
				if k >= len(src) {
					s.pos = len(src)
					return s.errf("unexpected end of JSON input")
				}
				if !isHex(src[k]) {
					s.pos = k
					return s.errf("invalid character %q in \\u hexadecimal character escape", src[k])
				}
			}
			s.pos = i + 6
		default:
			s.pos = i + 1
			return s.errf("invalid character %q in string escape code", src[i+1])
		}
	}
}

// SWAR constants: a byte-wise test on eight bytes in one uint64.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainRun returns the index of the first byte at or after i that may end a run of plain string bytes (a quote, a
// backslash or a control character), testing eight bytes per step. It may stop early, never late: the caller
// looks at the byte it stops on. With stopHigh set to highs (else 0), it also stops at a byte that is not ASCII.
func plainRun(src []byte, i int, stopHigh uint64) int {
	for ; i+8 <= len(src); i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		if m := specials(x) | x&stopHigh; m != 0 { // stopHigh is 0 or highs
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return i
}

// specials has the high bit set in the lowest byte of x that is a quote, a backslash or a control character, and
// maybe in higher bytes too: (v - ones) &^ v & highs has the high bit set in the lowest byte of v that is zero (or
// below the subtracted value, for the control-character test); borrows only reach higher bytes.
func specials(x uint64) uint64 {
	quote := x ^ (ones * '"')
	slash := x ^ (ones * '\\')
	return ((quote-ones)&^quote | (slash-ones)&^slash | (x-ones*0x20)&^x) & highs
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if s.pos >= len(s.src) {
			return s.errf("unexpected end of JSON input")
		}
		if s.src[s.pos] != word[k] {
			return s.errf("invalid character %q in literal %s (expecting %q)", s.src[s.pos], word, word[k])
		}
		s.pos++
	}
	return nil
}

func (s *scanner) number() error {
	src := s.src
	if src[s.pos] == '-' {
		s.pos++
	}
	if s.pos >= len(src) {
		return s.errf("unexpected end of JSON input")
	}
	switch c := src[s.pos]; {
	case c == '0':
		s.pos++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return s.errf("invalid character %q in numeric literal", c)
	}
	if s.pos < len(src) && src[s.pos] == '.' {
		s.pos++
		if s.pos >= len(src) {
			return s.errf("unexpected end of JSON input")
		}
		if !isDigit(src[s.pos]) {
			return s.errf("invalid character %q after decimal point in numeric literal", src[s.pos])
		}
		s.digits()
	}
	if s.pos < len(src) && (src[s.pos] == 'e' || src[s.pos] == 'E') {
		s.pos++
		if s.pos < len(src) && (src[s.pos] == '+' || src[s.pos] == '-') {
			s.pos++
		}
		if s.pos >= len(src) {
			return s.errf("unexpected end of JSON input")
		}
		if !isDigit(src[s.pos]) {
			return s.errf("invalid character %q in exponent of numeric literal", src[s.pos])
		}
		s.digits()
	}
	return nil
}

func (s *scanner) digits() {
	for s.pos < len(s.src) && isDigit(s.src[s.pos]) {
		s.pos++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// compact reports whether src is one JSON value without white space outside its strings, which AppendCompact copies
// as it is. Most producers write compact JSON, and checking that takes one tight loop, about twice as fast as the
// scanner, which works for any input. It may answer false for compact JSON (nested deeper than 64 levels), never
// true for anything else: when it answers false, the scanner decides.
func compact(src []byte) bool {
	var objects uint64 // bit k: the container at depth k+1 is an object (else an array)
	depth, i, n := 0, 0, len(src)
	for {
		// A value starts at src[i].
		if i >= n {
			return false
		}
		switch c := src[i]; c {
		case '"':
			if i = stringEnd(src, i+1); i < 0 {
				return false
			}
		case '{', '[':
			if depth == 64 {
				return false
			}
			objects, depth, i = objects<<1, depth+1, i+1
			if c == '{' {
				objects |= 1
			}
			if i < n && src[i] == c+2 { // '}' and ']' are two past '{' and '['
				objects, depth, i = objects>>1, depth-1, i+1
			} else if c == '{' {
				if i = keyEnd(src, i); i < 0 {
					return false
				}
				continue
			} else {
				continue
			}
		case 't':
			if !hasWord(src, i, "true") {
				return false
			}
			i += 4
		case 'f':
			if !hasWord(src, i, "false") {
				return false
			}
			i += 5
		case 'n':
			if !hasWord(src, i, "null") {
				return false
			}
			i += 4
		default:
			if i = numberEnd(src, i); i < 0 {
				return false
			}
		}
		// After a value: a separator, or the end of its containers.
		for {
			if depth == 0 {
				return i == n
			}
			if i >= n {
				return false
			}
			inObject := objects&1 != 0
			c := src[i]
			if c == ',' {
				if i++; inObject {
					if i = keyEnd(src, i); i < 0 {
						return false
					}
				}
				break
			}
			if (inObject && c != '}') || (!inObject && c != ']') {
				return false
			}
			objects, depth, i = objects>>1, depth-1, i+1
		}
	}
}

// keyEnd reads an object key and its colon from src[i], without white space, and returns the offset past the
// colon, or -1.
func keyEnd(src []byte, i int) int {
	if i >= len(src) || src[i] != '"' {
		return -1
	}
	if i = stringEnd(src, i+1); i < 0 || i >= len(src) || src[i] != ':' {
		return -1
	}
	return i + 1
}

// stringEnd returns the offset past the closing quote of the valid JSON string whose content starts at src[i], or
// -1.
func stringEnd(src []byte, i int) int {
	for {
		// plainRun, written out: as a call it is not inlined here; in this form the compiler drops the bounds checks,
		// and the byte that specials finds first is the one that ends the run, so it is not looked at twice.
		if i >= 0 {
			for n := len(src) - 8; i <= n; i += 8 {
				if m := specials(binary.LittleEndian.Uint64(src[i : i+8])); m != 0 {
					i += bits.TrailingZeros64(m) / 8
					goto special
				}
			}
		}
		for i < len(src) && src[i] != '"' && src[i] != '\\' && src[i] >= 0x20 {
			i++
		}
	special:
		switch {
		case i >= len(src) || src[i] < 0x20:
			return -1
		case src[i] == '"':
			return i + 1
		}
		// An escape.
		if i+1 >= len(src) {
			return -1
		}
		switch src[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
				return -1
			}
			i += 6
		default:
			return -1
		}
	}
}

// numberEnd returns the offset past the JSON number at src[i], or -1.
func numberEnd(src []byte, i int) int {
	n := len(src)
	if i < n && src[i] == '-' {
		i++
	}
	switch {
	case i >= n:
		return -1
	case src[i] == '0':
		i++
	case src[i] >= '1' && src[i] <= '9':
		for i++; i < n && isDigit(src[i]); i++ {
		}
	default:
		return -1
	}
	if i < n && src[i] == '.' {
		if i++; i >= n || !isDigit(src[i]) {
			return -1
		}
		for i++; i < n && isDigit(src[i]); i++ {
		}
	}
	if i < n && (src[i] == 'e' || src[i] == 'E') {
		if i++; i < n && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= n || !isDigit(src[i]) {
			return -1
		}
		for i++; i < n && isDigit(src[i]); i++ {
		}
	}
	return i
}

// hasWord reports whether src holds word at i.
func hasWord(src []byte, i int, word string) bool {
	return len(src)-i >= len(word) && string(src[i:i+len(word)]) == word
}
