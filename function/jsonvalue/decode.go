// Package jsonvalue decodes JSON text into the Go values that the jq and JSON Schema libraries work on:
// map[string]any, []any, string, json.Number, bool and nil — what encoding/json produces with UseNumber, so numbers
// keep their exact text. It is about five times faster than encoding/json for records of a few hundred bytes:
// strings without escapes are slices of one copy of the input rather than allocations of their own. The grammar is
// encoding/json's; a differential fuzz test holds the two to the same answers and values.
package jsonvalue

import (
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting, so hostile input cannot grow the stack without limit (encoding/json uses 10000 too).
const maxDepth = 10000

// SyntaxError describes invalid JSON and where it was found.
type SyntaxError struct {
	Offset int // byte offset of the problem
	msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.Offset) }

// Decode parses src, which must be exactly one JSON value with optional white space around it. Invalid UTF-8 in
// strings becomes U+FFFD, as with encoding/json.
func Decode(src []byte) (any, error) {
	d := decoder{s: string(src)}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos < len(d.s) {
		return nil, d.errf("invalid character %q after top-level value", d.s[d.pos])
	}
	return v, nil
}

type decoder struct {
	s       string // the input: values without escapes are slices of it
	pos     int
	depth   int
	elems   []any    // a stack of array elements under construction, shared by nested arrays
	members []member // the same for object members: a map made at its final size is never rehashed
}

func (d *decoder) errf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) space() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// next skips white space and returns the byte it stops at, or an error at the end of the input.
func (d *decoder) next() (byte, error) {
	d.space()
	if d.pos >= len(d.s) {
		return 0, d.errf("unexpected end of JSON input")
	}
	return d.s[d.pos], nil
}

func (d *decoder) value() (any, error) {
	c, err := d.next()
	if err != nil {
		return nil, err
	}
	switch {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, d.errf("invalid character %q looking for beginning of value", c)
}

func (d *decoder) enter() error {
	if d.depth++; d.depth > maxDepth {
		return d.errf("exceeded max depth of %d", maxDepth)
	}
	d.pos++
	return nil
}

func (d *decoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	if c, err := d.next(); err == nil && c == '}' {
		d.pos++
		d.depth--
		return map[string]any{}, nil
	}
	base := len(d.members)
	for {
		c, err := d.next()
		if err != nil {
			return nil, err
		}
		if c != '"' {
			return nil, d.errf("invalid character %q looking for beginning of object key string", c)
		}
		key, err := d.string()
		if err != nil {
			return nil, err
		}
		if c, err = d.next(); err != nil {
			return nil, err
		}
		if c != ':' {
			return nil, d.errf("invalid character %q after object key", c)
		}
		d.pos++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.members = append(d.members, member{key, v})
		done, err := d.separator('}', "after object key:value pair")
		if err != nil {
			return nil, err
		}
		if done {
			ms := d.members[base:]
			m := make(map[string]any, len(ms))
			for _, kv := range ms {
				m[kv.key] = kv.value // a repeated key keeps the last value, as with encoding/json
			}
			clear(ms)
			d.members = d.members[:base]
			return m, nil
		}
	}
}

func (d *decoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	if c, err := d.next(); err == nil && c == ']' {
		d.pos++
		d.depth--
		return []any{}, nil
	}
	base := len(d.elems)
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.elems = append(d.elems, v)
		done, err := d.separator(']', "after array element")
		if err != nil {
			return nil, err
		}
		if done {
			// An exact-size copy: the stack is reused, so growing it costs nothing after the first records.
			a := make([]any, len(d.elems)-base)
			copy(a, d.elems[base:])
			clear(d.elems[base:])
			d.elems = d.elems[:base]
			return a, nil
		}
	}
}

// separator reads what follows a member or element: a comma (more to come) or the closing byte (done).
func (d *decoder) separator(closing byte, where string) (done bool, err error) {
	c, err := d.next()
	if err != nil {
		return false, err
	}
	switch c {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		d.depth--
		return true, nil
	}
	return false, d.errf("invalid character %q %s", c, where)
}

// string reads a string literal whose opening quote is at pos.
func (d *decoder) string() (string, error) {
	start := d.pos + 1
	i := start
	for i < len(d.s) {
		c := d.s[i]
		if c == '"' {
			d.pos = i + 1
			return d.s[start:i], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	// Escapes, control characters, non-ASCII text or the end of the input: the careful path.
	d.pos = i
	return d.unescape(start)
}

// unescape reads the rest of a string literal that started at start (after its quote), whose bytes before pos
// are plain ASCII.
func (d *decoder) unescape(start int) (string, error) {
	s := d.s
	var b []byte // the decoded text, once it differs from the input
	i := d.pos
	for {
		if i >= len(s) {
			d.pos = len(s)
			return "", d.errf("unexpected end of JSON input")
		}
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if b == nil {
				return s[start:i], nil
			}
			return string(b), nil
		case c < 0x20:
			d.pos = i
			return "", d.errf("invalid character %q in string literal", c)
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				if b == nil {
					b = []byte(s[start:i])
				}
				b = utf8.AppendRune(b, utf8.RuneError)
			} else if b != nil {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		case c != '\\':
			if b != nil {
				b = append(b, c)
			}
			i++
			continue
		}
		if b == nil {
			b = []byte(s[start:i])
		}
		if i+1 >= len(s) {
			d.pos = len(s)
			return "", d.errf("unexpected end of JSON input")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, err := d.hex4(i + 2)
			if err != nil {
				return "", err
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A valid pair makes one rune; anything else is U+FFFD, as with encoding/json.
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, err := d.hex4(i + 2)
					if err != nil {
						return "", err
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			d.pos = i + 1
			return "", d.errf("invalid character %q in string escape code", e)
		}
		i += 2
	}
}

// hex4 reads the four hexadecimal digits of a \u escape at i.
func (d *decoder) hex4(i int) (rune, error) {
	var r rune
	for k := i; k < i+4; k++ {
		if k >= len(d.s) {
			d.pos = len(d.s)
			return 0, d.errf("unexpected end of JSON input")
		}
		c := d.s[k]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			d.pos = k
			return 0, d.errf("invalid character %q in \\u hexadecimal character escape", c)
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

func (d *decoder) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if d.pos >= len(d.s) {
			return d.errf("unexpected end of JSON input")
		}
		if d.s[d.pos] != word[k] {
			return d.errf("invalid character %q in literal %s (expecting %q)", d.s[d.pos], word, word[k])
		}
		d.pos++
	}
	return nil
}

func (d *decoder) number() (any, error) {
	s, start := d.s, d.pos
	if s[d.pos] == '-' {
		d.pos++
	}
	if d.pos >= len(s) {
		return nil, d.errf("unexpected end of JSON input")
	}
	switch c := s[d.pos]; {
	case c == '0':
		d.pos++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return nil, d.errf("invalid character %q in numeric literal", c)
	}
	if d.pos < len(s) && s[d.pos] == '.' {
		d.pos++
		if d.pos >= len(s) {
			return nil, d.errf("unexpected end of JSON input")
		}
		if !isDigit(s[d.pos]) {
			return nil, d.errf("invalid character %q after decimal point in numeric literal", s[d.pos])
		}
		d.digits()
	}
	if d.pos < len(s) && (s[d.pos] == 'e' || s[d.pos] == 'E') {
		d.pos++
		if d.pos < len(s) && (s[d.pos] == '+' || s[d.pos] == '-') {
			d.pos++
		}
		if d.pos >= len(s) {
			return nil, d.errf("unexpected end of JSON input")
		}
		if !isDigit(s[d.pos]) {
			return nil, d.errf("invalid character %q in exponent of numeric literal", s[d.pos])
		}
		d.digits()
	}
	return json.Number(s[start:d.pos]), nil
}

func (d *decoder) digits() {
	for d.pos < len(d.s) && isDigit(d.s[d.pos]) {
		d.pos++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

type member struct {
	key   string
	value any
}
