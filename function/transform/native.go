package transform

import (
	"cmp"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// The native evaluator runs a small part of jq directly on a decoded record, without converting it to Go maps for
// gojq and decoding gojq's output again, which cost far more than a typical reshaping itself. It is compiled from
// gojq's own parse tree, so the language is gojq's; an expression with anything outside the subset runs on gojq
// whole. The subset, each expression giving exactly one value:
//
//	.  .a  ."k"  .["k"]  .a.b…     null true false, numbers, strings without interpolation
//	e | e   e // e   e + e  e - e  e * e  e / e  e % e   (e)
//	del(p, …)   p = e   p |= e   (p a path of keys: .a.b, ."k", .["k"])
//	floor  ceil  round  tostring   {a: e, "b": e, c, "d"}
//	e == e  e != e  e < e  e <= e  e > e  e >= e (on null, booleans, numbers, strings)  e and e  e or e  not
//	if e then e elif e then e else e end   select(e) as a step of the outermost pipe
//
// At run time it computes only what it is sure to compute as gojq does: on anything else (a type error, a division
// by zero, a number that is not native, see number.go) it reports false, and the record runs on gojq, which gives
// the value or the error.

// node is a compiled expression: eval returns its value for in, or false for gojq to take the record.
type node interface {
	eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool)
}

// nativeQuery compiles q, or returns nil when it is outside the subset.
func nativeQuery(q *gojq.Query) node {
	if q == nil || q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
		return nil
	}
	if q.Term != nil {
		return nativeTerm(q.Term)
	}
	switch q.Op {
	case gojq.OpAssign, gojq.OpModify:
		path, r := nativePath(q.Left), nativeQuery(q.Right)
		if path == nil || r == nil {
			return nil
		}
		return &update{path: path, rhs: r, modify: q.Op == gojq.OpModify}
	}
	l, r := nativeQuery(q.Left), nativeQuery(q.Right)
	if l == nil || r == nil {
		return nil
	}
	switch q.Op {
	case gojq.OpPipe:
		return pipe{l, r}
	case gojq.OpAlt:
		return alt{l, r}
	case gojq.OpAdd, gojq.OpSub, gojq.OpMul, gojq.OpDiv, gojq.OpMod:
		return newBinop(q.Op, l, r)
	case gojq.OpEq, gojq.OpNe, gojq.OpLt, gojq.OpLe, gojq.OpGt, gojq.OpGe:
		return compare{q.Op, l, r}
	case gojq.OpAnd, gojq.OpOr:
		return logic{q.Op == gojq.OpAnd, l, r}
	}
	return nil
}

// nativeSteps compiles the outermost pipe of q, whose steps may include select, or returns nil.
func nativeSteps(q *gojq.Query) []stage {
	if q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
		return nil // … as $x | …, among others
	}
	if q.Term == nil && q.Op == gojq.OpPipe {
		l, r := nativeSteps(q.Left), nativeSteps(q.Right)
		if l == nil || r == nil {
			return nil
		}
		return append(l, r...)
	}
	if t := q.Term; t != nil && t.Type == gojq.TermTypeFunc && t.Func.Name == "select" && len(t.Func.Args) == 1 &&
		len(t.SuffixList) == 0 {
		if cond := nativeQuery(t.Func.Args[0]); cond != nil {
			return []stage{{n: cond, selects: true}}
		}
		return nil
	}
	if n := nativeQuery(q); n != nil {
		return []stage{{n: n}}
	}
	return nil
}

// stage is one step of the outermost pipe: a value, or select(n).
type stage struct {
	n       node
	selects bool
}

// run runs steps on in: keep false when a select dropped it, ok false for gojq to take the record.
func run(steps []stage, s *Scratch, in jsonvalue.Value) (out jsonvalue.Value, keep, ok bool) {
	for _, st := range steps {
		v, ok := st.n.eval(s, in)
		switch {
		case !ok:
			return v, false, false
		case !st.selects:
			in = v
		case !truthy(v):
			return v, false, true
		}
	}
	return in, true, true
}

func nativeTerm(t *gojq.Term) node {
	var n node
	switch t.Type {
	case gojq.TermTypeIdentity:
		n = identity{}
	case gojq.TermTypeNull:
		n = literal{}
	case gojq.TermTypeTrue, gojq.TermTypeFalse:
		n = literal{jsonvalue.MakeBool(t.Type == gojq.TermTypeTrue)}
	case gojq.TermTypeNumber:
		n = numberLiteral(t.Number, false)
	case gojq.TermTypeUnary:
		if u := t.Unary; u.Term.Type == gojq.TermTypeNumber && len(u.Term.SuffixList) == 0 &&
			(u.Op == gojq.OpSub || u.Op == gojq.OpAdd) {
			n = numberLiteral(u.Term.Number, u.Op == gojq.OpSub)
		}
	case gojq.TermTypeString:
		if s, ok := plainString(t.Str); ok {
			n = literal{jsonvalue.MakeString(s)}
		}
	case gojq.TermTypeIndex:
		if key, ok := indexKey(t.Index); ok {
			n = index{identity{}, key}
		}
	case gojq.TermTypeQuery:
		n = nativeQuery(t.Query)
	case gojq.TermTypeObject:
		n = nativeObject(t.Object)
	case gojq.TermTypeFunc:
		n = nativeFunc(t.Func)
	case gojq.TermTypeIf:
		n = nativeIf(t.If)
	}
	for _, s := range t.SuffixList {
		if n == nil {
			return nil
		}
		key, ok := "", false
		if s.Index != nil && !s.Iter && !s.Optional {
			key, ok = indexKey(s.Index)
		}
		if !ok {
			return nil
		}
		n = index{n, key}
	}
	return n
}

// numberLiteral is a number in the expression, as gojq reads it (an int or a float64), negated for -N.
func numberLiteral(text string, negate bool) node {
	n, ok := parseNum(text)
	if !ok {
		return nil
	}
	if negate {
		n.i, n.f = -n.i, -n.f
	}
	v, ok := n.value()
	if !ok {
		return nil
	}
	return literal{v}
}

// plainString is the text of a string literal without interpolation or format.
func plainString(s *gojq.String) (string, bool) {
	if s == nil || len(s.Queries) > 0 || !utf8.ValidString(s.Str) {
		return "", false
	}
	return s.Str, true
}

// indexKey is the key of .name, ."key" or .["key"].
func indexKey(ix *gojq.Index) (string, bool) {
	switch {
	case ix.IsSlice || ix.End != nil:
		return "", false
	case ix.Str != nil:
		return plainString(ix.Str)
	case ix.Start != nil:
		q := ix.Start
		if q.Term == nil || q.Term.Type != gojq.TermTypeString || len(q.Term.SuffixList) > 0 ||
			q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
			return "", false
		}
		return plainString(q.Term.Str)
	}
	return ix.Name, ix.Name != ""
}

// nativePath is the keys of a path expression .a.b (."k", .["k"]), or nil.
func nativePath(q *gojq.Query) []string {
	if x, ok := nativeQuery(q).(index); ok {
		return indexPath(x)
	}
	return nil
}

// indexPath is the keys of an index chain on the input (.a.b), or nil.
func indexPath(x index) []string {
	var keys []string
	for n := node(x); ; {
		switch y := n.(type) {
		case identity:
			slices.Reverse(keys)
			return keys
		case index:
			keys, n = append(keys, y.key), y.of
		default:
			return nil
		}
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func nativeObject(o *gojq.Object) node {
	var obj object
	for _, kv := range o.KeyVals {
		key, ok := kv.Key, identRE.MatchString(kv.Key)
		if kv.KeyString != nil {
			key, ok = plainString(kv.KeyString)
		}
		if !ok || kv.KeyQuery != nil {
			return nil
		}
		var val node = index{identity{}, key} // {a} is {a: .a}
		if kv.Val != nil {
			if val = nativeQuery(kv.Val); val == nil {
				return nil
			}
		}
		obj.keys, obj.vals = append(obj.keys, key), append(obj.vals, val)
	}
	return obj
}

func nativeFunc(f *gojq.Func) node {
	switch {
	case f.Name == "del" && len(f.Args) == 1:
		var d del
		// del(p1, p2) has one argument, the paths joined by commas.
		var add func(q *gojq.Query) bool
		add = func(q *gojq.Query) bool {
			if q.Term == nil && q.Op == gojq.OpComma {
				return add(q.Left) && add(q.Right)
			}
			p := nativePath(q)
			d.paths = append(d.paths, p)
			return p != nil
		}
		if add(f.Args[0]) {
			return &d
		}
	case len(f.Args) > 0:
	case f.Name == "floor":
		return rounding(math.Floor)
	case f.Name == "ceil":
		return rounding(math.Ceil)
	case f.Name == "round":
		return rounding(math.Round)
	case f.Name == "tostring":
		return tostring{}
	case f.Name == "not":
		return not{}
	}
	return nil
}

func nativeIf(i *gojq.If) node {
	var n ifNode
	conds := []*gojq.Query{i.Cond}
	thens := []*gojq.Query{i.Then}
	for _, e := range i.Elif {
		conds, thens = append(conds, e.Cond), append(thens, e.Then)
	}
	for k := range conds {
		c, t := nativeQuery(conds[k]), nativeQuery(thens[k])
		if c == nil || t == nil {
			return nil
		}
		n.conds, n.thens = append(n.conds, c), append(n.thens, t)
	}
	n.els = identity{} // if without else is the identity there
	if i.Else != nil {
		if n.els = nativeQuery(i.Else); n.els == nil {
			return nil
		}
	}
	return n
}

type identity struct{}

func (identity) eval(_ *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) { return in, true }

type literal struct{ v jsonvalue.Value }

func (l literal) eval(*Scratch, jsonvalue.Value) (jsonvalue.Value, bool) { return l.v, true }

type pipe struct{ l, r node }

func (p pipe) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	v, ok := p.l.eval(s, in)
	if !ok {
		return v, false
	}
	return p.r.eval(s, v)
}

// alt is l // r: l unless it is null or false. gojq ignores an error of l; the native evaluator leaves that to it.
type alt struct{ l, r node }

func (a alt) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	v, ok := a.l.eval(s, in)
	if !ok {
		return v, false
	}
	if truthy(v) {
		return v, true
	}
	return a.r.eval(s, in)
}

// truthy is jq's truth: anything but null and false.
func truthy(v jsonvalue.Value) bool {
	return v.Kind() != jsonvalue.Null && (v.Kind() != jsonvalue.Bool || v.True())
}

// compare is l op r for a comparison op, as gojq.Compare orders scalars: by type (null, false, true, numbers,
// strings), numbers by value, strings bytewise. Arrays and objects are left to gojq.
type compare struct {
	op   gojq.Operator
	l, r node
}

func (c compare) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	l, ok := c.l.eval(s, in)
	if !ok {
		return l, false
	}
	r, ok := c.r.eval(s, in)
	if !ok {
		return r, false
	}
	rank := func(v jsonvalue.Value) int {
		switch v.Kind() {
		case jsonvalue.Null:
			return 0
		case jsonvalue.Bool:
			if v.True() {
				return 2
			}
			return 1
		case jsonvalue.Number:
			return 3
		case jsonvalue.String:
			return 4
		}
		return -1
	}
	lr, rr := rank(l), rank(r)
	var order int
	switch {
	case lr < 0 || rr < 0:
		return jsonvalue.Value{}, false
	case lr != rr:
		order = cmp.Compare(lr, rr)
	case lr == 4:
		order = strings.Compare(l.Text(), r.Text())
	case lr == 3:
		x, ok1 := parseNum(l.Text())
		y, ok2 := parseNum(r.Text())
		if !ok1 || !ok2 {
			return jsonvalue.Value{}, false
		}
		if x.isInt && y.isInt {
			order = cmp.Compare(x.i, y.i)
		} else {
			order = cmp.Compare(x.float(), y.float()) // no NaN: parseNum reads none
		}
	}
	var b bool
	switch c.op {
	case gojq.OpEq:
		b = order == 0
	case gojq.OpNe:
		b = order != 0
	case gojq.OpLt:
		b = order < 0
	case gojq.OpLe:
		b = order <= 0
	case gojq.OpGt:
		b = order > 0
	case gojq.OpGe:
		b = order >= 0
	}
	return jsonvalue.MakeBool(b), true
}

// logic is l and r, or l or r: r is evaluated only when l does not decide.
type logic struct {
	and  bool
	l, r node
}

func (g logic) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	l, ok := g.l.eval(s, in)
	if !ok {
		return l, false
	}
	if truthy(l) != g.and {
		return jsonvalue.MakeBool(!g.and), true
	}
	r, ok := g.r.eval(s, in)
	return jsonvalue.MakeBool(truthy(r)), ok
}

type not struct{}

func (not) eval(_ *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	return jsonvalue.MakeBool(!truthy(in)), true
}

// ifNode is if conds[0] then thens[0] elif … else els end.
type ifNode struct {
	conds, thens []node
	els          node
}

func (n ifNode) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	for k, c := range n.conds {
		v, ok := c.eval(s, in)
		if !ok {
			return v, false
		}
		if truthy(v) {
			return n.thens[k].eval(s, in)
		}
	}
	return n.els.eval(s, in)
}

// index is of.key: a member of an object, null for a missing one or on null.
type index struct {
	of  node
	key string
}

func (x index) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	v, ok := x.of.eval(s, in)
	if !ok {
		return v, false
	}
	return member(v, x.key)
}

func member(v jsonvalue.Value, key string) (jsonvalue.Value, bool) {
	switch v.Kind() {
	case jsonvalue.Object:
		m, _ := v.Get(key)
		return m, true
	case jsonvalue.Null:
		return v, true
	}
	return jsonvalue.Value{}, false
}

type binop struct {
	op   gojq.Operator
	l, r node
	// A number literal on the right (x / 1000), read once: its number, and the power of ten it is (decimalPower).
	rightNum   num
	rightConst bool
	rightPower int
}

func newBinop(op gojq.Operator, l, r node) *binop {
	b := &binop{op: op, l: l, r: r}
	if lit, ok := r.(literal); ok && lit.v.Kind() == jsonvalue.Number {
		if n, ok := parseNum(lit.v.Text()); ok {
			b.rightNum, b.rightConst = n, true
			if n.isInt {
				b.rightPower = decimalPower(n.i)
			}
		}
	}
	return b
}

func (b *binop) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	l, ok := b.l.eval(s, in)
	if !ok {
		return l, false
	}
	if b.rightConst && l.Kind() == jsonvalue.Number {
		x, ok := parseNum(l.Text())
		if !ok {
			return jsonvalue.Value{}, false
		}
		if b.op == gojq.OpDiv && x.isInt && b.rightPower > 0 {
			if text, ok := appendDecimal(s.room(), x.i, b.rightNum.i, b.rightPower); ok {
				return s.numberText(text), true
			}
		}
		n, ok := arith(b.op, x, b.rightNum)
		if !ok {
			return jsonvalue.Value{}, false
		}
		return s.number(n)
	}
	r, ok := b.r.eval(s, in)
	if !ok {
		return r, false
	}
	lk, rk := l.Kind(), r.Kind()
	switch {
	case lk == jsonvalue.Number && rk == jsonvalue.Number:
		x, ok1 := parseNum(l.Text())
		y, ok2 := parseNum(r.Text())
		if !ok1 || !ok2 {
			return jsonvalue.Value{}, false
		}
		if b.op == gojq.OpDiv && x.isInt && y.isInt {
			if text, ok := appendDecimalQuotient(s.room(), x.i, y.i); ok {
				return s.numberText(text), true
			}
		}
		n, ok := arith(b.op, x, y)
		if !ok {
			return jsonvalue.Value{}, false
		}
		return s.number(n)
	case b.op != gojq.OpAdd:
	case lk == jsonvalue.Null || rk == jsonvalue.Null:
		// The other one, but a number as gojq reads it (1.0 becomes 1).
		if lk == jsonvalue.Null {
			l = r
		}
		if l.Kind() != jsonvalue.Number {
			return l, true
		}
		n, ok := parseNum(l.Text())
		if !ok {
			return jsonvalue.Value{}, false
		}
		return s.number(n)
	case lk == jsonvalue.String && rk == jsonvalue.String:
		return jsonvalue.MakeString(l.Text() + r.Text()), true
	case lk == jsonvalue.Object && rk == jsonvalue.Object:
		// The members of both, r's last so that they count; the output keeps one of each key.
		kids := s.take(2 * (l.Len() + r.Len()))[:0]
		for _, o := range [2]jsonvalue.Value{l, r} {
			for i := range o.Len() {
				kids = append(kids, jsonvalue.MakeString(o.Key(i)), o.Index(i))
			}
		}
		return jsonvalue.MakeObject(kids), true
	}
	return jsonvalue.Value{}, false
}

// rounding is floor, ceil or round: gojq applies them to the number as a float64.
type rounding func(float64) float64

func (f rounding) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	if in.Kind() != jsonvalue.Number {
		return jsonvalue.Value{}, false
	}
	n, ok := parseNum(in.Text())
	if !ok {
		return jsonvalue.Value{}, false
	}
	return s.number(num{f: f(n.float())})
}

// tostring is a string as it is, anything else as gojq writes it.
type tostring struct{}

func (tostring) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	if in.Kind() == jsonvalue.String {
		return in, true
	}
	var w writer
	w.write(in, false, schema.Check{})
	return jsonvalue.MakeString(string(w.buf)), true
}

// object is {k: v, …}; a repeated key keeps its last value, as in gojq.
type object struct {
	keys []string
	vals []node
}

func (o object) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	kids := s.take(2 * len(o.keys))
	for i, k := range o.keys {
		v, ok := o.vals[i].eval(s, in)
		if !ok {
			return v, false
		}
		kids[2*i], kids[2*i+1] = jsonvalue.MakeString(k), v
	}
	return jsonvalue.MakeObject(kids), true
}

// del deletes paths. Like gojq it finds them all in the input first: a step into a value that is neither an object
// nor null is an error, even under a path deleted before. A missing member is nothing to delete.
type del struct{ paths [][]string }

func (d *del) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	if len(d.paths) > 1 {
		for _, p := range d.paths {
			v := in
			for _, k := range p {
				var ok bool
				if v, ok = member(v, k); !ok {
					return v, false
				}
			}
		}
	}
	out := in
	for _, p := range d.paths {
		var ok bool
		if out, ok = s.delete(out, p); !ok {
			return out, false
		}
	}
	return out, true
}

func (s *Scratch) delete(v jsonvalue.Value, path []string) (jsonvalue.Value, bool) {
	switch {
	case v.Kind() == jsonvalue.Null:
		return v, true
	case v.Kind() != jsonvalue.Object:
		return v, false
	case len(path) == 1:
		return s.with(v, path[0], nil), true
	}
	m, ok := v.Get(path[0])
	if !ok {
		return v, true
	}
	if m, ok = s.delete(m, path[1:]); !ok {
		return m, false
	}
	return s.with(v, path[0], &m), true
}

// update is path = rhs (rhs computed on the input) or path |= rhs (on the value at the path). Through null or a
// missing member it makes the objects on the way.
type update struct {
	path   []string
	rhs    node
	modify bool
}

func (u *update) eval(s *Scratch, in jsonvalue.Value) (jsonvalue.Value, bool) {
	var v jsonvalue.Value
	if !u.modify {
		var ok bool
		if v, ok = u.rhs.eval(s, in); !ok {
			return v, false
		}
	}
	return u.set(s, in, u.path, v)
}

func (u *update) set(s *Scratch, in jsonvalue.Value, path []string, v jsonvalue.Value) (jsonvalue.Value, bool) {
	if k := in.Kind(); k != jsonvalue.Object && k != jsonvalue.Null {
		return in, false
	}
	m, _ := in.Get(path[0])
	var ok bool
	switch {
	case len(path) > 1:
		m, ok = u.set(s, m, path[1:], v)
	case u.modify:
		m, ok = u.rhs.eval(s, m)
	default:
		m, ok = v, true
	}
	if !ok {
		return m, false
	}
	return s.with(in, path[0], &m), true
}

// with returns object (or null, as an empty object) o with member key set to *v, or without it for nil. Setting
// appends the member, leaving any earlier one with the key for the output to drop (it keeps a key's last member,
// the one Get finds); it extends o in place when o's members are the last thing taken from the arena, as in a
// chain of assignments to one object.
func (s *Scratch) with(o jsonvalue.Value, key string, v *jsonvalue.Value) jsonvalue.Value {
	members := jsonvalue.Members(o)
	if v == nil {
		kids := s.take(len(members))[:0]
		for i := 0; i+1 < len(members); i += 2 {
			if members[i].Text() != key {
				kids = append(kids, members[i], members[i+1])
			}
		}
		return jsonvalue.MakeObject(kids)
	}
	var kids []jsonvalue.Value
	if end := len(s.chunk); len(members) > 0 && s.lastEnd == end && end+2 <= cap(s.chunk) &&
		&s.chunk[s.lastStart] == &members[0] && s.lastStart+len(members) == end {
		kids = s.chunk[s.lastStart : end+2 : end+2]
		s.chunk = s.chunk[:end+2]
	} else {
		kids = s.take(len(members) + 2)
		copy(kids, members)
	}
	kids[len(kids)-2], kids[len(kids)-1] = jsonvalue.MakeString(key), *v
	s.lastStart, s.lastEnd = len(s.chunk)-len(kids), len(s.chunk)
	return jsonvalue.MakeObject(kids)
}
