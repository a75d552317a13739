package jsonvalue

import (
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

// refDecoder is the decoder as it was before its fast paths (commit f50b3ec), kept as the oracle that the
// differential tests hold Decoder to: the same trees, and the same errors and limits, which encoding/json does not
// share.
type refDecoder struct {
	MaxValues  int
	ShareInput bool

	d     refState
	arena []Value
}

// Decode parses src as the package's Decode does.
func (dd *refDecoder) Decode(src []byte) (Value, error) {
	clear(dd.arena) // drop the last record's references
	dd.d.max, dd.d.share = dd.MaxValues, dd.ShareInput
	v, err := dd.d.decode(src, dd.arena[:0])
	dd.arena = dd.d.arena // its last (or only) chunk, reused from the start next time
	return v, err
}

// Compact reports whether the last input Decode accepted had no white space outside its strings: it is then its own
// compact form, what jsoncompact.AppendCompact writes for it.
func (dd *refDecoder) Compact() bool { return !dd.d.spaced }

// decode parses src with arena as the first place for the containers' values.
func (d *refState) decode(src []byte, arena []Value) (Value, error) {
	s := unsafe.String(unsafe.SliceData(src), len(src))
	if !d.share {
		s = string(src)
	}
	d.decoder = decoder{s: s, kids: d.kids, arena: arena, max: d.max, share: d.share}
	v, err := d.value()
	clear(d.kids[:max(d.high, d.top)]) // the stack keeps nothing of the record
	if err != nil {
		return Value{}, err
	}
	d.space()
	if d.pos < len(d.s) {
		return Value{}, d.errf("invalid character %q after top-level value", d.s[d.pos])
	}
	return v, nil
}

// refState reads as the decoder did: where the decoder is unchanged, with its methods.
type refState struct{ decoder }

func (d *refState) value() (Value, error) {
	c, err := d.next()
	if err != nil {
		return Value{}, err
	}
	start := d.pos
	switch {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == 't':
		return Value{kind: Bool, text: "true"}, d.literal("true")
	case c == 'f':
		return Value{kind: Bool, text: "false"}, d.literal("false")
	case c == 'n':
		return Value{}, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		err := d.number()
		return Value{kind: Number, text: d.s[start:d.pos]}, err
	}
	return Value{}, d.errf("invalid character %q looking for beginning of value", c)
}

func (d *refState) object() (Value, error) {
	v := Value{kind: Object}
	if err := d.enter(); err != nil {
		return v, err
	}
	if c, err := d.next(); err == nil && c == '}' {
		d.pos++
		d.depth--
		return v, nil
	}
	base := d.top
	for {
		c, err := d.next()
		if err != nil {
			return v, err
		}
		if c != '"' {
			return v, d.errf("invalid character %q looking for beginning of object key string", c)
		}
		key, err := d.string()
		if err != nil {
			return v, err
		}
		if err := d.push(key); err != nil {
			return v, err
		}
		if d.pos < len(d.s) && d.s[d.pos] == ':' {
			d.pos++ // compact input: no white space to skip
		} else {
			if c, err = d.next(); err != nil {
				return v, err
			}
			if c != ':' {
				return v, d.errf("invalid character %q after object key", c)
			}
			d.pos++
		}
		var m Value
		if d.pos < len(d.s) && d.s[d.pos] == '"' { // a string, the most common member, without a call
			m, err = d.string()
		} else {
			m, err = d.value()
		}
		if err != nil {
			return v, err
		}
		if err := d.push(m); err != nil {
			return v, err
		}
		if d.pos < len(d.s) && d.s[d.pos] == ',' && d.pos+1 < len(d.s) && d.s[d.pos+1] == '"' {
			d.pos++ // compact input: the next key follows
			continue
		}
		done, err := d.separator('}', "after object key:value pair")
		if err != nil {
			return v, err
		}
		if done {
			v.setKids(d.pop(base))
			return v, nil
		}
	}
}

func (d *refState) array() (Value, error) {
	v := Value{kind: Array}
	if err := d.enter(); err != nil {
		return v, err
	}
	if c, err := d.next(); err == nil && c == ']' {
		d.pos++
		d.depth--
		return v, nil
	}
	base := d.top
	for {
		e, err := d.value()
		if err != nil {
			return v, err
		}
		if err := d.push(e); err != nil {
			return v, err
		}
		done, err := d.separator(']', "after array element")
		if err != nil {
			return v, err
		}
		if done {
			v.setKids(d.pop(base))
			return v, nil
		}
	}
}

// push stacks a value of the container being read.
func (d *refState) push(v Value) error {
	if d.values++; d.max > 0 && d.values > d.max {
		return &LimitError{Max: d.max}
	}
	if d.top < len(d.kids) {
		d.kids[d.top] = v
	} else {
		d.kids = append(d.kids, v)
		d.kids = d.kids[:cap(d.kids)]
	}
	d.top++
	return nil
}

// string reads a string literal whose opening quote is at pos.
func (d *refState) string() (Value, error) {
	start := d.pos + 1
	f := isPlain
	for i := start; ; i++ {
		if i = refPlainRun(d.s, i); i >= len(d.s) {
			break
		}
		c := d.s[i]
		if c == '"' {
			d.pos = i + 1
			return Value{kind: String, text: d.s[start:i], flags: f}, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			// Escapes, control characters, non-ASCII text: the careful path.
			d.pos = i
			return d.unescape(start)
		}
		if c == 0x7f { // DEL, which some writers escape
			f = 0
		}
	}
	d.pos = len(d.s)
	return Value{}, d.errf("unexpected end of JSON input")
}

// refPlainRun returns the index of the first byte at or after i that may end a run of plain ASCII string bytes (a
// quote, a backslash, a control character, DEL or a non-ASCII byte), testing eight bytes per step. It may stop
// early, never late: the caller looks at the byte it stops on.
func refPlainRun(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8] // of known length: no bounds check on each byte
		x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		quote := x ^ (ones * '"')
		slash := x ^ (ones * '\\')
		// (v - ones) &^ v & highs has the high bit set in the lowest byte of v that is zero (or below the
		// subtracted value, for the control-character test); x + ones sets it in a byte of 0x7f; x itself marks
		// the non-ASCII bytes. Only the lowest is exact.
		m := ((quote - ones) &^ quote) | ((slash - ones) &^ slash) | ((x - ones*0x20) &^ x) | (x + ones) | x
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return i
}
