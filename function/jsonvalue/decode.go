// Package jsonvalue decodes a JSON record into a compact tree (Value) that the handler's schema checks, field paths
// and Parquet encoder walk, and converts it to the values the jq and JSON Schema libraries take (Value.Any:
// map[string]any, []any, string, json.Number, bool, nil — what encoding/json produces with UseNumber). A record of a
// few hundred bytes decodes with a handful of allocations: strings without escapes and numbers are slices of one
// copy of the input (or of the input itself: Decoder.ShareInput), and nothing is boxed. The grammar is encoding/json's, and so is the meaning of a repeated key
// (the last one counts); a differential fuzz test holds the two to the same answers and values.
package jsonvalue

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds nesting, so hostile input cannot grow the stack without limit (encoding/json uses 10000 too).
const maxDepth = 10000

// ValueSize is the memory a value takes in a record's tree, and again on the decoder's stack while its container is
// read: what a caller bounds with Decoder.MaxValues.
const ValueSize = int(unsafe.Sizeof(Value{}))

// LimitError means that a record has more values than Decoder.MaxValues allows.
type LimitError struct{ Max int }

func (e *LimitError) Error() string {
	return fmt.Sprintf("more than %d JSON values and object keys", e.Max)
}

// SyntaxError describes invalid JSON and where it was found.
type SyntaxError struct {
	Offset int // byte offset of the problem
	msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.Offset) }

// Kind is the JSON type of a Value.
type Kind uint8

// The kinds of values.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// Value is a decoded JSON value. The zero Value is null. It is four words (ValueSize): a string, and its members
// as a pointer and a 32-bit count rather than a slice, since a tree is copied value by value (onto the decoder's
// stack, into the arena, by the transform and its writer) and a smaller value is less to copy.
type Value struct {
	text string // String: the decoded text; Number: the literal; Bool: true or false
	// Array: the elements; Object: key and value of each member in turn, in input order (elems). A count cannot
	// overflow: 2³² values would take 128 GiB.
	first *Value
	n     uint32
	kind  Kind
	flags flags // String: what is known of its literal
}

// flags are what is known of a string's literal: one byte, which the decoder sets in one store.
type flags uint8

const (
	// isPlain: the literal held only printable ASCII but quotes and backslashes (Plain).
	isPlain flags = 1 << iota
	// hasUnpaired: the literal held an unpaired UTF-16 surrogate escape (Unpaired), which the text has as U+FFFD, as
	// encoding/json decodes it. The text's memory is followed, in the same allocation, by as many bytes more: the
	// text with each such surrogate in the three bytes that UTF-8 would give it were it a character (WTF-8; U+FFFD
	// takes three too). So AppendJSON can write the escape back, and other strings pay nothing for it.
	hasUnpaired
)

// elems returns the members of an array or object.
func (v Value) elems() []Value { return unsafe.Slice(v.first, v.n) }

// setKids makes kids the members of v: nil when empty, as for a decoded empty container.
func (v *Value) setKids(kids []Value) {
	if len(kids) == 0 {
		v.first, v.n = nil, 0
		return
	}
	v.first, v.n = &kids[0], uint32(len(kids))
}

// Kind returns the value's JSON type.
func (v Value) Kind() Kind { return v.kind }

// Text returns a scalar's text: a string's decoded text, a number's literal, true or false; "" for null and
// containers.
func (v Value) Text() string { return v.text }

// Plain reports that a string is known to be printable ASCII without quotes or backslashes (0x20 to 0x7e but '"'
// and '\\'): the text of its own JSON string literal, which a writer may copy without looking at it. Only strings
// decoded from such literals are known; false means not known.
func (v Value) Plain() bool { return v.flags&isPlain != 0 }

// Unpaired returns the first unpaired UTF-16 surrogate escape of a string's literal, as `\ud800` (lower case), or ""
// when it has none (or its decoder forgot them: Decoder.ForgetUnpaired). Such a literal is valid JSON (RFC 8259
// §8.2), but not Unicode text, which UTF-8 cannot hold: Text has U+FFFD for each, as encoding/json decodes it, and
// AppendJSON writes the escapes back.
func (v Value) Unpaired() string {
	if v.flags&hasUnpaired == 0 { // inlined: other strings pay one test
		return ""
	}
	return v.firstUnpaired()
}

// firstUnpaired is Unpaired for a string that has one.
func (v Value) firstUnpaired() string {
	w := v.wtf8()
	if i := surrogateAt(w); i >= 0 {
		return string(appendSurrogate(nil, w[i:i+3]))
	}
	return ""
}

// wtf8 is the WTF-8 text of a string with unpaired surrogate escapes (hasUnpaired), kept right after its text.
func (v Value) wtf8() string {
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(v.text)), len(v.text))), len(v.text))
}

// surrogateAt returns the index of the first surrogate in the WTF-8 text w, or -1: 0xED then 0xA0 to 0xBF, which
// valid UTF-8, as the rest of w is, never has (0xED takes 0x80 to 0x9F).
func surrogateAt(w string) int {
	for i := 0; i+2 < len(w); i++ {
		if w[i] == 0xED && w[i+1] >= 0xA0 {
			return i
		}
	}
	return -1
}

// appendSurrogate appends the escape of a surrogate given as its three WTF-8 bytes s, in lower case.
func appendSurrogate(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	r := rune(s[0]&0x0F)<<12 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F)
	return append(dst, '\\', 'u', hex[r>>12], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF])
}

// appendUnpaired appends the literal of a string with unpaired surrogate escapes, given its WTF-8 text w: those
// escapes as written (in lower case), the rest as AppendQuote writes it.
func appendUnpaired(dst []byte, w string) []byte {
	dst = append(dst, '"')
	for {
		i := surrogateAt(w)
		if i < 0 {
			return append(appendEscaped(dst, w), '"')
		}
		dst = appendSurrogate(appendEscaped(dst, w[:i]), w[i:i+3])
		w = w[i+3:]
	}
}

// True reports whether the value is the literal true.
func (v Value) True() bool { return v.kind == Bool && v.text == "true" }

// Len returns the number of elements of an array or members of an object (0 for other kinds).
func (v Value) Len() int {
	if v.kind == Object {
		return len(v.elems()) / 2
	}
	return len(v.elems())
}

// Index returns element i of an array, or member i's value of an object.
func (v Value) Index(i int) Value {
	if v.kind == Object {
		return v.elems()[2*i+1]
	}
	return v.elems()[i]
}

// Key returns member i's key of an object.
func (v Value) Key(i int) string { return v.elems()[2*i].text }

// Shadowed reports whether member i of an object has its key repeated by a later member, which replaces it.
func (v Value) Shadowed(i int) bool {
	for j := 2*i + 2; j < len(v.elems()); j += 2 {
		if v.elems()[j].text == v.elems()[2*i].text {
			return true
		}
	}
	return false
}

// Get returns the value of an object's member key (the last one, if the key is repeated), and whether there is one.
func (v Value) Get(key string) (Value, bool) {
	if v.kind != Object {
		return Value{}, false
	}
	for j := len(v.elems()) - 2; j >= 0; j -= 2 {
		if v.elems()[j].text == key {
			return v.elems()[j+1], true
		}
	}
	return Value{}, false
}

// Any converts the value to map[string]any, []any, string, json.Number, bool or nil.
func (v Value) Any() any {
	switch v.kind {
	case Bool:
		return v.True()
	case Number:
		return json.Number(v.text)
	case String:
		return v.text
	case Array:
		a := make([]any, len(v.elems()))
		for i, k := range v.elems() {
			a[i] = k.Any()
		}
		return a
	case Object:
		m := make(map[string]any, len(v.elems())/2)
		for j := 0; j < len(v.elems()); j += 2 {
			m[v.elems()[j].text] = v.elems()[j+1].Any() // a repeated key keeps the last value
		}
		return m
	}
	return nil
}

// AppendJSON appends the value as compact JSON: numbers exactly as the input wrote them, strings with the same
// text (quotes, backslashes and control characters escaped) and their unpaired surrogate escapes (Unpaired), each
// object's members in input order and a repeated key once (with its last value, the one that counts; keys compare
// by their text, as encoding/json's do).
func (v Value) AppendJSON(dst []byte) []byte {
	switch v.kind {
	case Array:
		dst = append(dst, '[')
		for i, k := range v.elems() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = k.AppendJSON(dst)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		first := true
		for i := range v.Len() {
			if v.Shadowed(i) {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, v.elems()[2*i])
			dst = append(dst, ':')
			dst = v.Index(i).AppendJSON(dst)
		}
		return append(dst, '}')
	case String:
		return appendString(dst, v)
	case Null:
		return append(dst, "null"...)
	}
	return append(dst, v.text...)
}

// appendString appends the string s as a JSON string literal, with its unpaired surrogate escapes if it kept any.
func appendString(dst []byte, s Value) []byte {
	if s.flags&hasUnpaired != 0 {
		return appendUnpaired(dst, s.wtf8())
	}
	return AppendQuote(dst, s.text)
}

// AppendQuote appends s as a JSON string literal: quotes, backslashes and control characters escaped, everything
// else (non-ASCII text included) as it is.
func AppendQuote(dst []byte, s string) []byte {
	return append(appendEscaped(append(dst, '"'), s), '"')
}

// appendEscaped appends s as the inside of a JSON string literal, as AppendQuote writes it.
func appendEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// Decode parses src, which must be exactly one JSON value with optional white space around it. Invalid UTF-8 in
// strings becomes U+FFFD, as with encoding/json, and so does an unpaired surrogate escape in a string's text (the
// value keeps the escape too: Value.Unpaired).
func Decode(src []byte) (Value, error) {
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	return d.decode(src, nil)
}

// Decoder decodes records one after another into the same memory: a Value it returns is valid until its next
// Decode (strings taken from it stay valid). It saves an allocation per record for a caller that is done with a
// record before it decodes the next. The zero Decoder is ready to use; it is not safe for concurrent use.
type Decoder struct {
	// MaxValues caps the values and object keys of one record, and so the memory its tree and the stack take
	// (ValueSize each): a record over it is a *LimitError. 0 means no cap.
	MaxValues int
	// ShareInput makes strings without escapes and numbers slices of the input itself rather than of a copy of
	// it, which saves copying and allocating each record: for a caller that does not modify the input while the
	// values and strings it has taken are in use.
	ShareInput bool
	// ForgetUnpaired makes strings with unpaired surrogate escapes only what encoding/json and jq make of them,
	// U+FFFD for each (Value.Unpaired is "", AppendJSON writes U+FFFD): for a tree that a transform reads, whose
	// output a jq string could not hold them in either.
	ForgetUnpaired bool

	d     decoder
	arena []Value
}

// Decode parses src as the package's Decode does.
func (dd *Decoder) Decode(src []byte) (Value, error) {
	clear(dd.arena) // drop the last record's references
	dd.d.max, dd.d.share, dd.d.forget = dd.MaxValues, dd.ShareInput, dd.ForgetUnpaired
	v, err := dd.d.decode(src, dd.arena[:0])
	dd.arena = dd.d.arena // its last (or only) chunk, reused from the start next time
	return v, err
}

// Compact reports whether the last input Decode accepted had no white space outside its strings: it is then its own
// compact form, what jsoncompact.AppendCompact writes for it.
func (dd *Decoder) Compact() bool { return !dd.d.spaced }

// decode parses src with arena as the first place for the containers' values.
func (d *decoder) decode(src []byte, arena []Value) (Value, error) {
	s := unsafe.String(unsafe.SliceData(src), len(src))
	if !d.share {
		s = string(src)
	}
	*d = decoder{s: s, kids: d.kids, arena: arena, max: d.max, limit: d.max, share: d.share, forget: d.forget,
		lone: d.lone[:0]}
	if d.max <= 0 {
		d.limit = math.MaxInt
	}
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

// decoders keeps decoders, for their stacks.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

type decoder struct {
	s     string // the input: values' text and strings without escapes are slices of it
	pos   int
	depth int
	// A stack of the elements and members of the containers under construction, shared by nested containers:
	// each container gets one exact-size copy, and the stack is reused.
	kids []Value
	top  int // how many of kids are in use
	high int // the most of kids used, which decode clears once at the end rather than each container as it ends
	// arena is where containers' values go: slices of a few large allocations rather than one each.
	arena []Value
	// values counts what has been stacked, which bounds the stack and the arena; max caps it (0: no cap).
	values, max int
	limit       int    // max, or no limit for max 0: what push compares with
	share       bool   // s is the caller's input (Decoder.ShareInput), not a copy
	spaced      bool   // white space was skipped
	forget      bool   // Decoder.ForgetUnpaired
	lone        []lone // the unpaired surrogates of the string being unescaped (unless forget)
}

func (d *decoder) errf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) space() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
			d.spaced = true
		default:
			return
		}
	}
}

// next skips white space and returns the byte it stops at, or an error at the end of the input. Compact input, which
// has none, is the case checked first.
func (d *decoder) next() (byte, error) {
	if d.pos < len(d.s) {
		if c := d.s[d.pos]; c > ' ' {
			return c, nil
		}
	}
	return d.nextAfterSpace()
}

func (d *decoder) nextAfterSpace() (byte, error) {
	d.space()
	if d.pos >= len(d.s) {
		return 0, d.errf("unexpected end of JSON input")
	}
	return d.s[d.pos], nil
}

func (d *decoder) value() (Value, error) {
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

func (d *decoder) enter() error {
	if d.depth++; d.depth > maxDepth {
		return d.errf("exceeded max depth of %d", maxDepth)
	}
	d.pos++
	return nil
}

func (d *decoder) object() (Value, error) {
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
	s := d.s
	for {
		// Compact input, the common case, is read without a call where it can be: a key's quote where the key
		// starts, the colon right after it, a string or a number right after that, and a comma and the next key's
		// quote right after the value.
		if d.pos >= len(s) || s[d.pos] != '"' {
			c, err := d.next()
			if err != nil {
				return v, err
			}
			if c != '"' {
				return v, d.errf("invalid character %q looking for beginning of object key string", c)
			}
		}
		if err := d.pushString(); err != nil {
			return v, err
		}
		if d.pos < len(s) && s[d.pos] == ':' {
			d.pos++
		} else {
			c, err := d.next()
			if err != nil {
				return v, err
			}
			if c != ':' {
				return v, d.errf("invalid character %q after object key", c)
			}
			d.pos++
		}
		var err error
		if d.pos < len(s) && s[d.pos] == '"' {
			err = d.pushString()
		} else if d.pos < len(s) && (s[d.pos] == '-' || isDigit(s[d.pos])) {
			start := d.pos
			if err = d.number(); err == nil {
				err = d.push(Value{kind: Number, text: s[start:d.pos]})
			}
		} else {
			var m Value
			if m, err = d.value(); err == nil {
				err = d.push(m)
			}
		}
		if err != nil {
			return v, err
		}
		if d.pos+1 < len(s) && s[d.pos] == ',' && s[d.pos+1] == '"' {
			d.pos++
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

func (d *decoder) array() (Value, error) {
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
func (d *decoder) push(v Value) error {
	if d.values++; d.values > d.limit {
		return &LimitError{Max: d.max}
	}
	if d.top == len(d.kids) {
		d.grow()
	}
	d.kids[d.top] = v
	d.top++
	return nil
}

// grow makes room on the stack for more values.
func (d *decoder) grow() {
	d.kids = append(d.kids, Value{})
	d.kids = d.kids[:cap(d.kids)]
}

// pop moves the values stacked since base to the record's arena and unstacks them.
func (d *decoder) pop(base int) []Value {
	n := d.top - base
	if len(d.arena)+n > cap(d.arena) {
		// About one value per 16 bytes of input, so that a record's containers usually share one allocation; never
		// more than the cap allows.
		size := len(d.s)/16 + 8
		if d.max > 0 {
			size = min(size, d.max)
		}
		d.arena = make([]Value, 0, max(n, size))
	}
	kids := d.arena[len(d.arena) : len(d.arena)+n : len(d.arena)+n]
	d.arena = d.arena[:len(d.arena)+n]
	copy(kids, d.kids[base:d.top])
	d.high = max(d.high, d.top)
	d.top = base
	return kids
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

// pushString reads a string literal whose opening quote is at pos, and stacks it (push). A plain one (Value.Plain),
// the common case, takes one scan and no copy of the value.
func (d *decoder) pushString() error {
	s, start := d.s, d.pos+1
	i := start
	for ; i+8 <= len(s); i += 8 { // PlainRun, written out: a call costs a tenth more here
		if m := stops(word(s, i)); m != 0 {
			i += bits.TrailingZeros64(m) / 8
			break
		}
	}
	if i >= len(s) || s[i] != '"' {
		return d.pushStringFrom(start, i)
	}
	if d.values++; d.values > d.limit {
		return &LimitError{Max: d.max}
	}
	if d.top == len(d.kids) {
		d.grow()
	}
	d.pos = i + 1
	// Field by field: a composite literal is built on the stack and copied.
	k := &d.kids[d.top]
	k.text, k.first, k.n, k.kind, k.flags = s[start:i], nil, 0, String, isPlain
	d.top++
	return nil
}

// pushStringFrom is pushString's careful path, apart so that the common path takes a small frame.
func (d *decoder) pushStringFrom(start, i int) error {
	v, err := d.stringFrom(start, i)
	if err != nil {
		return err
	}
	return d.push(v)
}

// string reads a string literal whose opening quote is at pos.
func (d *decoder) string() (Value, error) {
	start := d.pos + 1
	i := PlainRun(d.s, start)
	if i < len(d.s) && d.s[i] == '"' {
		d.pos = i + 1
		return Value{kind: String, text: d.s[start:i], flags: isPlain}, nil
	}
	return d.stringFrom(start, i)
}

// stringFrom reads the rest of a string literal that started at start (after its quote), from i, before which its
// bytes are plain.
func (d *decoder) stringFrom(start, i int) (Value, error) {
	f := isPlain
	for ; ; i++ {
		if i = PlainRun(d.s, i); i >= len(d.s) {
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

// unescape reads the rest of a string literal that started at start (after its quote), whose bytes before pos
// are plain ASCII.
func (d *decoder) unescape(start int) (Value, error) {
	s := d.s
	d.lone = d.lone[:0]
	var b []byte // the decoded text, once it differs from the input
	i := d.pos
	for {
		if i >= len(s) {
			d.pos = len(s)
			return Value{}, d.errf("unexpected end of JSON input")
		}
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if b == nil {
				return Value{kind: String, text: s[start:i]}, nil
			}
			if len(d.lone) > 0 {
				return d.unpaired(b), nil
			}
			return Value{kind: String, text: string(b)}, nil
		case c < 0x20:
			d.pos = i
			return Value{}, d.errf("invalid character %q in string literal", c)
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
			return Value{}, d.errf("unexpected end of JSON input")
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
				return Value{}, err
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A valid pair makes one rune; anything else is U+FFFD, as with encoding/json.
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, err := d.hex4(i + 2)
					if err != nil {
						return Value{}, err
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				if !d.forget {
					d.lone = append(d.lone, lone{at: len(b), r: r})
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			d.pos = i + 1
			return Value{}, d.errf("invalid character %q in string escape code", e)
		}
		i += 2
	}
}

// lone is an unpaired surrogate, r, whose U+FFFD is at byte at of a decoded text.
type lone struct {
	at int
	r  rune
}

// unpaired returns the string of the decoded text b, whose unpaired surrogates (d.lone) it has as U+FFFD, with its
// WTF-8 text (hasUnpaired) after it in one allocation.
func (d *decoder) unpaired(b []byte) Value {
	n := len(b)
	both := make([]byte, 2*n)
	copy(both, b)
	copy(both[n:], b)
	for _, l := range d.lone {
		w := both[n+l.at : n+l.at+3]
		w[0], w[1], w[2] = 0xE0|byte(l.r>>12), 0x80|byte(l.r>>6&0x3F), 0x80|byte(l.r&0x3F)
	}
	return Value{kind: String, text: unsafe.String(&both[0], n), flags: hasUnpaired}
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

func (d *decoder) number() error {
	s := d.s
	if s[d.pos] == '-' {
		d.pos++
	}
	if d.pos >= len(s) {
		return d.errf("unexpected end of JSON input")
	}
	switch c := s[d.pos]; {
	case c == '0':
		d.pos++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return d.errf("invalid character %q in numeric literal", c)
	}
	if d.pos < len(s) && s[d.pos] == '.' {
		d.pos++
		if d.pos >= len(s) {
			return d.errf("unexpected end of JSON input")
		}
		if !isDigit(s[d.pos]) {
			return d.errf("invalid character %q after decimal point in numeric literal", s[d.pos])
		}
		d.digits()
	}
	if d.pos < len(s) && (s[d.pos] == 'e' || s[d.pos] == 'E') {
		d.pos++
		if d.pos < len(s) && (s[d.pos] == '+' || s[d.pos] == '-') {
			d.pos++
		}
		if d.pos >= len(s) {
			return d.errf("unexpected end of JSON input")
		}
		if !isDigit(s[d.pos]) {
			return d.errf("invalid character %q in exponent of numeric literal", s[d.pos])
		}
		d.digits()
	}
	return nil
}

func (d *decoder) digits() {
	s, i := d.s, d.pos // locals: the loop then keeps them in registers
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	d.pos = i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// SWAR constants: a byte-wise test on eight bytes in one uint64.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// PlainRun returns the index of the first byte at or after i that may end a run of plain ASCII string bytes (a
// quote, a backslash, a control character, DEL or a non-ASCII byte), testing eight bytes per step: what a JSON
// writer may copy as it is. It may stop early, never late: the caller looks at the byte it stops on.
func PlainRun(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := stops(word(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return i
}

// word returns the eight bytes of s at i, the first in the low byte.
func word(s string, i int) uint64 {
	b := s[i : i+8] // of known length: no bounds check on each byte
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// stops has the high bit set in the lowest byte of x that is not plain (a quote, a backslash, a control character,
// DEL or not ASCII), and maybe in higher bytes too. x itself marks the bytes that are not ASCII; in an ASCII byte,
// with no borrow or carry from below, subtracting 1 sets the high bit only in a byte that was 0 (here: a quote or a
// backslash, after the XOR), subtracting 0x20 only in one below 0x20, and adding 1 only in 0x7f. A borrow or a carry
// starts only at a byte that is marked itself, so the lowest mark is exact. (jsoncompact's specials, which must
// pass non-ASCII bytes, needs the longer form.)
func stops(x uint64) uint64 {
	quote, slash := x^(ones*'"'), x^(ones*'\\')
	return ((quote - ones) | (slash - ones) | (x - ones*0x20) | (x + ones) | x) & highs
}
