package transform

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// The fused path. With TRANSFORM (and SCHEMA) and nothing else to read from a record, most of its cost was building
// its tree, the transform's edits of it, and writing and checking the output: twice what compressing it costs. For
// the most common transforms — steps that delete fixed paths and set fixed paths to what scalars compute — the
// output of records with the same key sequence (a producer's records, nested objects included) differs only in the
// scalars. So, once per key sequence, a plan works out on the decoded record what the steps do to it: which texts
// the record must have between its scalars, the schema check of each scalar where it ends up, and the output as
// texts (sorted keys, gojq's way) between scalars copied from the input or computed. A record that follows a plan
// is then read once, each scalar checked on its text, and written from the plan. Whatever a plan does not foresee —
// another key sequence, white space, an escape, a scalar the check is not sure of, an array, a container the steps
// would compute — is not taken, and the record goes the usual way (decode, ApplyNativeChecked), which the plans
// learn from. A differential test and a fuzz target hold it to that path.

// Bounds of the plans a Scratch keeps, and of what a plan covers.
const (
	maxPlans      = 8       // plans tried for a record, the last one used first
	maxPlanSeen   = 256     // key sequences noted before a plan is made (the second time), then the notes start again
	maxPlanDepth  = 32      // of a record's objects, far within what decoding and the schema's fast path allow
	maxPlanValues = 512     // of a record's values and keys, so that a plan stays small
	maxPlanBytes  = 8 << 10 // of the texts of a plan (its keys, twice)
	fusedRoom     = 256     // what an output may add to its record's length, usually, for it to be written in place
	// A producer whose records follow no plan (objects used as maps: ever new keys) would pay for the plans tried
	// on each record; after maxMisses such records in a row, the next restAfterMisses try none.
	maxMisses       = 64
	restAfterMisses = 1024
)

// fusable reports whether the fused path can run steps: each a del of paths, or a path set (= or |=) to an
// expression that reads only paths of its input (for =) and makes no container.
func fusable(steps []stage) bool {
	if len(steps) == 0 {
		return false
	}
	for _, st := range steps {
		switch n := st.n.(type) {
		case *del:
		case *update:
			if _, ok := readPaths(n.rhs, nil); !ok && !n.modify {
				return false
			}
		default:
			return false
		}
		if st.selects {
			return false
		}
	}
	return true
}

// readPaths appends the paths of its input that n reads, or reports false when n reads its input whole (., or a
// function of it such as floor) or makes an object.
func readPaths(n node, paths [][]string) ([][]string, bool) {
	ok := true
	both := func(l, r node) {
		if ok {
			paths, ok = readPaths(l, paths)
		}
		if ok {
			paths, ok = readPaths(r, paths)
		}
	}
	switch x := n.(type) {
	case literal:
	case index:
		if p := indexPath(x); p != nil {
			return append(paths, p), true
		}
		return readPaths(x.of, paths)
	case pipe:
		return readPaths(x.l, paths) // the right side reads the left side's value, not the input
	case alt:
		both(x.l, x.r)
	case compare:
		both(x.l, x.r)
	case logic:
		both(x.l, x.r)
	case *binop:
		both(x.l, x.r)
	case ifNode:
		for k := range x.conds {
			both(x.conds[k], x.thens[k])
		}
		if ok {
			paths, ok = readPaths(x.els, paths)
		}
	default:
		return paths, false
	}
	return paths, ok
}

// ref is where a value of a plan comes from: input scalar i (i >= 0), computed value -1-i, or none (null).
type ref int

const noRef = ref(-1 << 30)

// plan is the fused path for records of one key sequence.
type plan struct {
	t     *Transform   // whose steps it is made of: a Scratch may serve more than one
	check schema.Check // of the record, which the plan's checks come from
	key   uint64       // the fingerprint of its key sequence (LearnFused)
	// Reading: the record is expect[0], scalar 0, expect[1], scalar 1, …, then last.
	expect  []string
	scalars []scalar
	last    string
	values  int // the record's values and keys, and its output's: the larger (jsonvalue.Decoder.MaxValues)
	// Computing: the values the steps set, in turn, each from the view of what its expression reads.
	computed []computation
	// Writing: out's texts and values in turn, then outLast.
	out     []outPart
	outLast string
}

// scalar is how a plan checks scalar k of the record: with check at depth, which is sure of every value of the
// kinds in sure by their kind alone (schema.Check.SureKind).
type scalar struct {
	check schema.Check
	depth int
	sure  uint8
}

type computation struct {
	rhs  node
	view view
}

// view is what an expression reads: a scalar (ref), or an object of only the members read (keys and kids).
type view struct {
	ref  ref
	obj  bool
	keys []jsonvalue.Value
	kids []view
}

type outPart struct {
	text  string
	ref   ref
	check schema.Check // of a computed value, written at depth
	depth int
}

// fused is the plans of a Scratch, and the key sequences met without one.
type fused struct {
	plans   []*plan
	seen    map[uint64]bool // by fingerprint: true once a plan was tried
	missed  bool            // the last record did not follow a plan
	misses  int             // records in a row that followed none
	resting int             // records to go before plans are tried again
	spans   []int           // of the current record's scalars: start and end in turn
	values  []jsonvalue.Value
}

// ApplyFused is ApplyNativeChecked for a record given as text that needs no tree, checked against c (the zero
// Check: without a schema): when the record follows a plan and c is sure of the output, it returns the output's
// text, which is what decoding the record and ApplyNativeChecked would give (kept, and sure with a schema), and
// true. Else false, and the caller goes that way, after which LearnFused may make a plan of the record.
func (t *Transform) ApplyFused(data []byte, s *Scratch, c schema.Check) ([]byte, bool) {
	f := &s.fused
	f.missed = false
	if !t.fusable {
		return nil, false
	}
	if f.resting > 0 { // records that follow no plan, one after another: for a while, none is tried
		f.resting--
		return nil, false
	}
	c = orUnchecked(c)
	var p *plan
	for i, q := range f.plans {
		if q.t == t && q.check == c && (s.MaxValues <= 0 || q.values <= s.MaxValues) && q.read(data, f) {
			p = q
			copy(f.plans[1:i+1], f.plans[:i])
			f.plans[0] = q
			break
		}
	}
	if p == nil {
		f.missed = true
		if f.misses++; f.misses >= maxMisses {
			f.misses, f.resting = 0, restAfterMisses
		}
		return nil, false
	}
	f.misses = 0
	clear(s.chunk)
	s.chunk, s.lastEnd = s.chunk[:0], -1
	f.values = f.values[:0]
	for _, c := range p.computed {
		v, ok := c.rhs.eval(s, c.view.build(s, data, f))
		if !ok || v.Kind() == jsonvalue.Object || v.Kind() == jsonvalue.Array {
			return nil, false
		}
		f.values = append(f.values, v)
	}
	// The output is written where Scratch.keep would copy it to, when it fits there.
	room := len(data) + fusedRoom
	if room <= textBlock/4 && len(s.texts)+room > cap(s.texts) {
		s.texts = make([]byte, 0, textBlock)
	}
	start := len(s.texts)
	buf, kept := s.texts[start:start:cap(s.texts)], s.w.buf
	s.w = writer{buf: buf, order: s.w.order[:0], subs: s.w.subs[:0], check: true, s: s}
	w := &s.w
	for _, o := range p.out {
		w.buf = append(w.buf, o.text...)
		if o.ref >= 0 {
			w.buf = append(w.buf, data[f.spans[2*o.ref]:f.spans[2*o.ref+1]]...)
		} else {
			w.depth = o.depth
			w.write(f.values[-1-o.ref], false, o.check)
		}
	}
	w.buf = append(w.buf, p.outLast...)
	out := w.buf
	w.buf = kept[:0] // the writer's own, for the records that go the tree path
	if !w.check {
		return nil, false
	}
	s.Fused++
	if start < cap(s.texts) && len(out) > 0 && &out[0] == &s.texts[:start+1][start] {
		s.texts = s.texts[:start+len(out)] // written in place, within the block
		return out[:len(out):len(out)], true
	}
	return out, true // grown out of the block, into memory of its own
}

// orUnchecked is c, or without a schema (the zero Check) the check of what is not checked: then only the numbers
// a plan passes on unread must be within range, which the tree path does not ask, so it may take a record less.
func orUnchecked(c schema.Check) schema.Check {
	if c == (schema.Check{}) {
		return schema.Unchecked()
	}
	return c
}

// read reads data as p foresees, noting where its scalars are.
func (p *plan) read(data []byte, f *fused) bool {
	f.spans = f.spans[:0]
	text := unsafe.String(unsafe.SliceData(data), len(data))
	i := 0
	for k, e := range p.expect {
		if len(text)-i <= len(e) || text[i:i+len(e)] != e {
			return false
		}
		i += len(e)
		sc, start, end := &p.scalars[k], i, 0
		switch c := text[i]; c {
		case '"':
			// A plain string (the common case) is its own text, in ASCII; any other is read and checked in full.
			if end = plainEnd(text, i); end == 0 {
				var ok bool
				if end, ok = otherString(data, i); !ok || !sc.text(data, i, end) {
					return false
				}
			} else if sc.sure&(1<<jsonvalue.String) == 0 &&
				!sc.check.Value(jsonvalue.MakeString(text[i+1:end-1]), sc.depth) {
				return false
			}
		case 't', 'f', 'n':
			kind, word := jsonvalue.Bool, "true"
			if c == 'f' {
				word = "false"
			} else if c == 'n' {
				kind, word = jsonvalue.Null, "null"
			}
			if !strings.HasPrefix(text[i:], word) || sc.sure&(1<<kind) == 0 && !sc.text(data, i, i+len(word)) {
				return false
			}
			end = i + len(word)
		case '{', '[':
			return false
		default:
			// An integer (the common case) is checked as its text; any other number is read and checked in full.
			if end = integerEnd(text, i); end == 0 {
				var ok bool
				if end, ok = sc.check.Text(data, i, sc.depth); !ok {
					return false
				}
			} else if !sc.check.Value(jsonvalue.MakeNumber(text[i:end]), sc.depth) {
				return false
			}
		}
		f.spans = append(f.spans, start, end)
		i = end
	}
	return text[i:] == p.last
}

// text checks the scalar data[i:end] with sc's check.
func (sc *scalar) text(data []byte, i, end int) bool {
	e, ok := sc.check.Text(data, i, sc.depth)
	return ok && e == end
}

// plainEnd returns the end of the string whose quote is at s[i] when it holds only plain ASCII (no quote,
// backslash, control character or DEL: jsonvalue.Value.Plain), else 0.
func plainEnd(s string, i int) int {
	j := jsonvalue.PlainRun(s, i+1)
	for j < len(s) && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\' {
		j++
	}
	if j < len(s) && s[j] == '"' {
		return j + 1
	}
	return 0
}

// integerEnd returns the end of the number at s[i] when it is a JSON integer literal of at most 18 digits, else 0.
func integerEnd(s string, i int) int {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	digits := j
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	switch n := j - digits; {
	case n == 0 || n > 18 || n > 1 && s[digits] == '0':
		return 0
	case j < len(s) && (s[j] == '.' || s[j] == 'e' || s[j] == 'E'):
		return 0
	}
	return j
}

// otherString returns the end of the string whose quote is at data[i], when the writer writes it as it is: valid
// UTF-8 without escapes or DEL, which the writer would escape.
func otherString(data []byte, i int) (int, bool) {
	end, escaped, err := jsoncompact.ScanString(data, i)
	if err != nil || escaped || !utf8.Valid(data[i:end]) || bytes.IndexByte(data[i:end], 0x7f) >= 0 {
		return 0, false
	}
	return end, true
}

// build makes the value v views for the current record.
func (v *view) build(s *Scratch, data []byte, f *fused) jsonvalue.Value {
	if !v.obj {
		switch {
		case v.ref == noRef:
			return jsonvalue.Value{}
		case v.ref < 0:
			return f.values[-1-v.ref]
		}
		start, end := f.spans[2*v.ref], f.spans[2*v.ref+1]
		text := unsafe.String(&data[start], end-start) // data does not change while the record is in use
		switch text[0] {
		case '"':
			return jsonvalue.MakeString(text[1 : len(text)-1])
		case 't', 'f':
			return jsonvalue.MakeBool(text[0] == 't')
		case 'n':
			return jsonvalue.Value{}
		}
		return jsonvalue.MakeNumber(text)
	}
	kids := s.take(2 * len(v.keys))
	for i := range v.keys {
		kids[2*i], kids[2*i+1] = v.keys[i], v.kids[i].build(s, data, f)
	}
	return jsonvalue.MakeObject(kids)
}

// LearnFused notes the decoded record in, which the last ApplyFused did not take and ApplyNativeChecked did: the
// second time its key sequence is met, it makes a plan of it for the records that follow.
func (t *Transform) LearnFused(in jsonvalue.Value, s *Scratch, c schema.Check) {
	f := &s.fused
	if !f.missed || in.Kind() != jsonvalue.Object {
		return
	}
	f.missed = false
	h := treeFingerprint(in, 0)
	tried, seen := f.seen[h]
	if !seen || f.seen == nil {
		if f.seen == nil || len(f.seen) >= maxPlanSeen {
			f.seen = make(map[uint64]bool, 16)
		}
		f.seen[h] = false
		return
	}
	if tried {
		return
	}
	f.seen[h] = true
	p := newPlan(t, in, orUnchecked(c))
	if p == nil {
		return
	}
	p.key = h
	if len(f.plans) < maxPlans {
		f.plans = append(f.plans, nil)
	} else {
		delete(f.seen, f.plans[maxPlans-1].key) // the plan left out is made again if its records come back
	}
	copy(f.plans[1:], f.plans)
	f.plans[0] = p
}

// treeFingerprint mixes the fingerprints of v's objects, in document order.
func treeFingerprint(v jsonvalue.Value, h uint64) uint64 {
	members := jsonvalue.Members(v)
	h = (h ^ fingerprint(members) ^ uint64(v.Kind())) * 0x100000001b3
	for i := 1; i < len(members); i += 2 {
		if k := members[i].Kind(); k == jsonvalue.Object || k == jsonvalue.Array {
			h = treeFingerprint(members[i], h^uint64(i))
		}
	}
	return h
}

// The record as a plan sees it while it follows the steps: objects, and scalars by ref.
type (
	planObject struct {
		keys []string // each once
		vals []planValue
	}
	planValue struct {
		ref ref
		obj *planObject // an object
	}
)

// planner makes a plan.
type planner struct {
	p     *plan
	lit   []byte // the text since the last scalar
	steps int    // the Steps of the output's checks (schema.WithinSteps)
}

// newPlan makes the plan of in's key sequence, or returns nil when the fused path cannot take it.
func newPlan(t *Transform, in jsonvalue.Value, c schema.Check) *plan {
	b := planner{p: &plan{t: t, check: c}}
	root, ok := b.read(in, 0)
	if !ok {
		return nil
	}
	b.p.last, b.lit = string(b.lit), b.lit[:0]
	for _, st := range t.native {
		switch n := st.n.(type) {
		case *del:
			// All paths are looked up in the input before any is deleted, as del does: a path under one deleted
			// before it still fails on a scalar there.
			for _, path := range n.paths {
				if _, ok := root.walk(path); !ok {
					return nil
				}
			}
			for _, path := range n.paths {
				root.del(path)
			}
		case *update:
			var v view
			if n.modify {
				at, ok := root.get(n.path)
				if !ok || at.obj != nil {
					return nil
				}
				v = view{ref: at.ref}
			} else {
				paths, _ := readPaths(n.rhs, nil)
				v = view{obj: true}
				for _, path := range paths {
					if !v.add(root, path) {
						return nil
					}
				}
			}
			b.p.computed = append(b.p.computed, computation{rhs: n.rhs, view: v})
			if !root.set(n.path, planValue{ref: ref(-len(b.p.computed))}) {
				return nil
			}
		default:
			return nil
		}
	}
	outValues := 0
	if !b.write(root, c, 0, &outValues) || !schema.WithinSteps(b.steps, outValues) {
		return nil
	}
	b.p.outLast = string(b.lit)
	b.p.values = max(b.p.values, outValues)
	size := len(b.p.last) + len(b.p.outLast)
	for _, e := range b.p.expect {
		size += len(e)
	}
	for _, o := range b.p.out {
		size += len(o.text)
	}
	if b.p.values > maxPlanValues || size > maxPlanBytes {
		return nil
	}
	return b.p
}

// read notes the object v of the record: its text up to each scalar, the scalars' depths (and, until write knows
// better, no check but reading them), its values.
func (b *planner) read(v jsonvalue.Value, depth int) (*planObject, bool) {
	if depth >= maxPlanDepth {
		return nil, false
	}
	members := jsonvalue.Members(v)
	b.p.values += len(members)
	o := &planObject{}
	b.lit = append(b.lit, '{')
	for i := 0; i < len(members); i += 2 {
		key, m := members[i], members[i+1]
		if !key.Plain() {
			return nil, false // the record's text is the key's own only for a plain one
		}
		if i > 0 {
			b.lit = append(b.lit, ',')
		}
		b.lit = append(append(append(append(b.lit, '"'), key.Text()...), '"'), ':')
		var pv planValue
		switch m.Kind() {
		case jsonvalue.Object:
			var ok bool
			if pv.obj, ok = b.read(m, depth+1); !ok {
				return nil, false
			}
		case jsonvalue.Array:
			return nil, false
		default:
			pv.ref = ref(len(b.p.expect))
			b.p.expect, b.lit = append(b.p.expect, string(b.lit)), b.lit[:0]
			b.p.scalars = append(b.p.scalars, newScalar(schema.Unchecked(), depth+1))
		}
		o.put(key.Text(), pv) // a repeated key: the last member counts, as in the decoded tree
	}
	b.lit = append(b.lit, '}')
	return o, true
}

// write writes o as the writer would, checked with c at depth: the texts between the scalars, and their checks.
func (b *planner) write(o *planObject, c schema.Check, depth int, values *int) bool {
	if !c.SureKind(jsonvalue.Object, depth) && !c.Value(jsonvalue.MakeObject(nil), depth) {
		return false
	}
	b.steps += c.Steps()
	order := make([]int, len(o.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return strings.Compare(o.keys[i], o.keys[j]) })
	keys := make([]string, len(order))
	for j, i := range order {
		keys[j] = o.keys[i]
	}
	subs, ok := c.Members(keys, nil)
	if !ok {
		return false
	}
	*values += 2 * len(keys)
	if len(keys) == 0 {
		b.lit = append(b.lit, '{')
	}
	for j, i := range order {
		sep := byte(',')
		if j == 0 {
			sep = '{'
		}
		b.lit = append(appendString(append(b.lit, sep), keys[j]), ':')
		switch v := o.vals[i]; {
		case v.obj != nil:
			if !b.write(v.obj, subs[j], depth+1, values) {
				return false
			}
		case v.ref == noRef:
			return false // set can make no member without a value
		default:
			part := outPart{text: string(b.lit), ref: v.ref}
			b.steps += subs[j].Steps()
			if v.ref >= 0 {
				b.p.scalars[v.ref] = newScalar(subs[j], depth+1)
			} else {
				part.check, part.depth = subs[j], depth+1
			}
			b.p.out, b.lit = append(b.p.out, part), b.lit[:0]
		}
	}
	b.lit = append(b.lit, '}')
	return true
}

func newScalar(c schema.Check, depth int) scalar {
	sc := scalar{check: c, depth: depth}
	for _, kind := range []jsonvalue.Kind{jsonvalue.Null, jsonvalue.Bool, jsonvalue.String} {
		if c.SureKind(kind, depth) {
			sc.sure |= 1 << kind
		}
	}
	return sc
}

func (o *planObject) find(key string) int { return slices.Index(o.keys, key) }

func (o *planObject) put(key string, v planValue) {
	if i := o.find(key); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys, o.vals = append(o.keys, key), append(o.vals, v)
}

// walk returns the object path[:len(path)-1] leads to: nil for a missing one, false through a scalar, whose kind
// the plan cannot know.
func (o *planObject) walk(path []string) (*planObject, bool) {
	for _, key := range path[:len(path)-1] {
		i := o.find(key)
		if i < 0 {
			return nil, true
		}
		if o = o.vals[i].obj; o == nil {
			return nil, false
		}
	}
	return o, true
}

// del deletes path, as del does; false where the record's scalars would decide.
func (o *planObject) del(path []string) bool {
	at, ok := o.walk(path)
	if at != nil {
		if i := at.find(path[len(path)-1]); i >= 0 {
			at.keys, at.vals = slices.Delete(at.keys, i, i+1), slices.Delete(at.vals, i, i+1)
		}
	}
	return ok
}

// set sets path to v, where the objects on the way are there.
func (o *planObject) set(path []string, v planValue) bool {
	at, _ := o.walk(path)
	if at == nil {
		return false
	}
	at.put(path[len(path)-1], v)
	return true
}

// get returns the value at path (no ref: missing); false where the record's scalars would decide.
func (o *planObject) get(path []string) (planValue, bool) {
	at, ok := o.walk(path)
	if at == nil {
		return planValue{ref: noRef}, ok
	}
	if i := at.find(path[len(path)-1]); i >= 0 {
		return at.vals[i], true
	}
	return planValue{ref: noRef}, true
}

// add adds to v, the view of o, what path reads: false when it reads an object whole.
func (v *view) add(o *planObject, path []string) bool {
	for k, key := range path {
		i := o.find(key)
		if i < 0 {
			return true // missing: the view's member is missing too, and reads null
		}
		val := o.vals[i]
		j := slices.IndexFunc(v.keys, func(m jsonvalue.Value) bool { return m.Text() == key })
		if j < 0 {
			v.keys, v.kids = append(v.keys, jsonvalue.MakeString(key)), append(v.kids, view{ref: val.ref, obj: val.obj != nil})
			j = len(v.keys) - 1
		}
		if val.obj == nil {
			return true // a scalar: what reading on from it gives, the evaluator knows
		}
		if k == len(path)-1 {
			return false
		}
		v, o = &v.kids[j], val.obj
	}
	return true
}
