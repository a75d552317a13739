package transform

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// Scratch is the memory the native evaluator reuses from one record to the next. The zero Scratch is ready to use;
// it is not safe for concurrent use.
type Scratch struct {
	// MaxValues caps the values and object keys of the output, as jsonvalue.Decoder.MaxValues does (0: no cap): an
	// output over it is left to gojq, whose output's decoding reports it.
	MaxValues int
	// Fused counts the records the fused path took (ApplyFused), so that a test can tell.
	Fused int

	chunk []jsonvalue.Value // where the containers the evaluator makes keep their members
	// lastStart and lastEnd bound in chunk the members of the object with made last.
	lastStart, lastEnd int
	w                  writer
	shapes             shapes // the key order of the objects written, by key sequence (shapes.go)
	texts              []byte // the current block of output texts (keep)
	numbers            []byte // the current block of the texts of numbers computed (number)
	fused              fused  // the fused path's plans (fused.go)
}

// take returns room for n values that stays valid until the next record.
func (s *Scratch) take(n int) []jsonvalue.Value {
	if n == 0 {
		return nil
	}
	if len(s.chunk)+n > cap(s.chunk) {
		s.chunk = make([]jsonvalue.Value, 0, max(n, 512))
	}
	k := s.chunk[len(s.chunk) : len(s.chunk)+n : len(s.chunk)+n]
	s.chunk = s.chunk[:len(s.chunk)+n]
	return k
}

// Number texts: their room at the end of a block of them (a computed number's text is shorter, num.appendText and
// appendDecimalQuotient), and the size of a block.
const (
	numberRoom  = 32
	numberBlock = 4 << 10
)

// room returns an empty slice with room for a number's text, for numberText.
func (s *Scratch) room() []byte {
	if cap(s.numbers)-len(s.numbers) < numberRoom {
		s.numbers = make([]byte, 0, numberBlock)
	}
	end := len(s.numbers)
	return s.numbers[end : end : end+numberRoom]
}

// numberText returns the number whose text was appended to room(): the text stays where it is, in a block of
// them, rather than in an allocation of its own each (two a computed number otherwise). A block is never written
// again where a text is, so a text lasts as long as its value is used.
func (s *Scratch) numberText(text []byte) jsonvalue.Value {
	if len(text) <= numberRoom { // else append moved it out of the block, to memory of its own
		s.numbers = s.numbers[:len(s.numbers)+len(text)]
	}
	return jsonvalue.MakeNumber(unsafe.String(unsafe.SliceData(text), len(text)))
}

// number returns n's value (num.value), its text kept as numberText keeps it.
func (s *Scratch) number(n num) (jsonvalue.Value, bool) {
	text, ok := n.appendText(s.room())
	if !ok {
		return jsonvalue.Value{}, false
	}
	return s.numberText(text), true
}

// writer writes a value as gojq.Marshal does: object keys sorted, each once (its last value: decoding kept every
// member), numbers as their text (gojq writes the json.Number of the input verbatim), strings escaped its way.
// With build it also returns the tree that decoding the text would give. With check it checks what it writes against
// the schema.Check it is given, and clears check at the first value the check is not certain of.
type writer struct {
	buf    []byte
	check  bool
	subs   []schema.Check // the member checks of the objects being written without a shape, outermost first
	order  []int          // the members of the objects being written, in key order, outermost first
	values int            // the values and object keys written, as jsonvalue.Decoder counts them
	steps  int            // the Steps of the checks of the values written (schema.WithinSteps)
	depth  int            // of the containers being written
	deep   bool           // whether the value nests deeper than jsonvalue.MaxDepth, which decoding its text would refuse
	s      *Scratch
}

func (w *writer) write(v jsonvalue.Value, build bool, c schema.Check) jsonvalue.Value {
	switch v.Kind() {
	case jsonvalue.Null:
		w.buf = append(w.buf, "null"...)
	case jsonvalue.String:
		w.buf = appendText(w.buf, v)
	case jsonvalue.Array, jsonvalue.Object:
		// A container's own keywords look at what it holds only through its length, which writing keeps.
		w.check = w.check && (c.SureKind(v.Kind(), w.depth) || c.Value(v, w.depth))
		w.steps += c.Steps()
		w.depth++
		w.deep = w.deep || w.depth > jsonvalue.MaxDepth
		if v.Kind() == jsonvalue.Array {
			v = w.array(v, build, c)
		} else {
			v = w.object(v, build, c)
		}
		w.depth--
		return v
	default:
		v = w.scalar(v)
	}
	w.check = w.check && c.Value(v, w.depth) // as written: an integral float without its dot
	w.steps += c.Steps()
	return v
}

// scalar writes a number or a boolean.
func (w *writer) scalar(v jsonvalue.Value) jsonvalue.Value {
	text := v.Text()
	if v.Kind() == jsonvalue.Number && text[len(text)-1] == '.' { // an integral float (number.go)
		text = text[:len(text)-1]
		v = jsonvalue.MakeNumber(text)
	}
	w.buf = append(w.buf, text...)
	return v
}

func (w *writer) array(v jsonvalue.Value, build bool, c schema.Check) jsonvalue.Value {
	elems := jsonvalue.Members(v)
	var kids []jsonvalue.Value
	if build {
		kids = w.s.take(len(elems))
	}
	w.values += len(elems)
	if w.check {
		c = c.Items()
	}
	w.buf = append(w.buf, '[')
	for i := range elems {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		e := w.write(elems[i], build, c)
		if build {
			kids[i] = e
		}
	}
	w.buf = append(w.buf, ']')
	if !build {
		return v
	}
	return jsonvalue.MakeArray(kids)
}

func (w *writer) object(v jsonvalue.Value, build bool, c schema.Check) jsonvalue.Value {
	members := jsonvalue.Members(v)
	if w.s != nil {
		// An object inside one with the same keys is written as if without a shape: the outer one's member checks
		// are in use.
		if sh := w.s.shapes.of(members); sh != nil && !sh.busy {
			return w.shaped(v, members, sh, build, c)
		}
	}
	// The members to write, in key order. Writing them may grow w.order, which leaves order as it is.
	base := len(w.order)
	w.order = sortMembers(w.order, members)
	order := w.order[base:]
	n := len(order)
	subs, subBase := w.memberChecks(c, members, order)
	var kids []jsonvalue.Value
	if build {
		kids = w.s.take(2 * n)
	}
	w.values += 2 * n
	w.buf = append(w.buf, '{')
	for j, i := range order {
		if j > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(appendText(w.buf, members[i]), ':')
		var mc schema.Check
		if w.check {
			mc = subs[j]
		}
		m := w.member(members[i+1], build, mc)
		if build {
			kids[2*j], kids[2*j+1] = members[i], m
		}
	}
	w.buf = append(w.buf, '}')
	w.order = w.order[:base]
	if subBase >= 0 {
		w.subs = w.subs[:subBase]
	}
	if !build {
		return v
	}
	return jsonvalue.MakeObject(kids)
}

// shaped is object for an object whose shape sh has its key order, escaped keys and member checks.
func (w *writer) shaped(v jsonvalue.Value, members []jsonvalue.Value, sh *shape, build bool, c schema.Check) jsonvalue.Value {
	var subs []schema.Check
	if w.check {
		if !sh.checked || sh.checkOf != c {
			keys := make([]string, len(sh.order))
			for j, i := range sh.order {
				keys[j] = sh.keys[i/2]
			}
			sh.subs, sh.checkOK = c.Members(keys, sh.subs[:0])
			sh.checkOf, sh.checked = c, true
		}
		w.check, subs = sh.checkOK, sh.subs
	}
	n := len(sh.order)
	var kids []jsonvalue.Value
	if build {
		kids = w.s.take(2 * n)
	}
	w.values += 2 * n
	sh.busy = true
	// Plain strings and scalars, most members, are written here, with w.buf and w.check kept in locals meanwhile.
	buf, check, depth, steps := w.buf, w.check, w.depth, w.steps
	for j, i := range sh.order {
		buf = append(buf, sh.heads[j]...)
		m := &members[i+1]
		var mc schema.Check
		if check {
			mc = subs[j]
		}
		switch k := m.Kind(); {
		case k == jsonvalue.String && m.Plain():
			buf = append(buf, '"')
			buf = append(buf, m.Text()...)
			buf = append(buf, '"')
		case k == jsonvalue.Number && !strings.HasSuffix(m.Text(), "."), k == jsonvalue.Bool, k == jsonvalue.Null:
			buf = append(buf, m.Text()...)
			if k == jsonvalue.Null {
				buf = append(buf, "null"...)
			}
		default:
			w.buf, w.check, w.steps = buf, check, steps
			e := w.member(*m, build, mc)
			if build {
				kids[2*j], kids[2*j+1] = members[i], e
			}
			buf, check, steps = w.buf, w.check, w.steps
			continue
		}
		check = check && (mc.SureKind(m.Kind(), depth) || mc.Value(*m, depth))
		steps += mc.Steps()
		if build {
			kids[2*j], kids[2*j+1] = members[i], *m
		}
	}
	w.buf, w.check, w.steps = buf, check, steps
	sh.busy = false
	w.buf = append(w.buf, '}')
	if !build {
		return v
	}
	return jsonvalue.MakeObject(kids)
}

// member writes the value of an object's member, checked with c.
func (w *writer) member(m jsonvalue.Value, build bool, c schema.Check) jsonvalue.Value {
	switch m.Kind() {
	case jsonvalue.String: // the most common, without a call
		if m.Plain() {
			w.buf = append(w.buf, '"')
			w.buf = append(w.buf, m.Text()...)
			w.buf = append(w.buf, '"')
		} else {
			w.buf = appendString(w.buf, m.Text())
		}
		w.check = w.check && (c.SureKind(jsonvalue.String, w.depth) || c.Value(m, w.depth))
		w.steps += c.Steps()
		return m
	case jsonvalue.Array, jsonvalue.Object:
		return w.write(m, build, c)
	}
	return w.write(m, false, c)
}

// memberChecks returns the checks of an object's members in the order it writes them (order), on w.subs, and where
// they start there (-1 when nothing is checked); with w.check cleared when the object's keys make it uncertain.
func (w *writer) memberChecks(c schema.Check, members []jsonvalue.Value, order []int) ([]schema.Check, int) {
	if !w.check {
		return nil, -1
	}
	keys := make([]string, 0, len(order))
	for _, i := range order {
		keys = append(keys, members[i].Text())
	}
	subBase := len(w.subs)
	var ok bool
	w.subs, ok = c.Members(keys, w.subs)
	w.check = ok
	return w.subs[subBase:], subBase
}

// less is a < b, quicker for keys that differ in their first byte.
func less(a, b string) bool {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		return a[0] < b[0]
	}
	return a < b
}

// appendText appends the string v as gojq writes it: a plain one as it is.
func appendText(dst []byte, v jsonvalue.Value) []byte {
	if v.Plain() {
		dst = append(dst, '"')
		dst = append(dst, v.Text()...)
		return append(dst, '"')
	}
	return appendString(dst, v.Text())
}

// appendString appends s as gojq writes a string: \b \f \n \r \t and \" \\ short, other control characters and
// DEL as \u00XX, invalid UTF-8 as \ufffd, everything else as it is.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i = jsonvalue.PlainRun(s, i); i >= len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(append(dst, s[start:i]...), `\ufffd`...)
				start = i + 1
			}
			i += size
			continue
		}
		if c >= ' ' && c <= '~' && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		i++
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}
