package schema

import (
	"math"
	"math/big"
	"slices"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// The library builds an error tree, scopes and evaluation state for every value it visits, on Go maps that cost
// more to build than the record costs to decode. The fast path is a short cut for the records that pass, which are
// nearly all: at cold start the library's compiled schema is compiled once more into nodes (below) for the keywords
// that records are usually checked with (type, enum, const, format, $ref, allOf, properties, required,
// additionalProperties, items, the length, size and range bounds, pattern), and a record, decoded or as text
// (text.go), is walked against them.
// The walk answers true only when it is certain that the library would accept the record. Anything else — a keyword
// it does not know, a number it cannot compare exactly, a failure — answers false, and the library decides and
// explains. So the fast path may be incomplete, never wrong; a differential test and a fuzz target hold it to that.

// maxSureDepth bounds the walk (schemas that refer to themselves recurse with the instance).
const maxSureDepth = 64

// A schema whose nodes apply several subschemas to one value (allOf, or $ref beside other keywords) has the walk
// visit a value once per path to it, which nesting multiplies: parts^depth. A walk of such a schema (nonlinear)
// takes a step a node it visits a value with (sureSelf), and is sure of a record only within stepBudget steps; a
// schema without them visits each value once, in any number of steps. Every walk — of the tree, of the text
// (text.go), in steps (Check) — counts its steps and its depth alike, so that a fast path is sure of a record only
// where the tree walk ValidateAtMost starts with is. Check.Value walks one scalar with at most scalarSteps.
const (
	stepsPerValue = 4
	stepsSlack    = 64
	scalarSteps   = 1 << 12
)

// stepBudget is the steps a walk with a nonlinear schema may take on a record of values values and object keys
// (jsonvalue.Count).
func stepBudget(values int) int { return stepsPerValue*values + stepsSlack }

// WithinSteps reports whether a walk in steps (Check) that took steps, the sum of its Checks' Steps, on a record of
// values values and object keys, is within what the walk of the record's tree would be allowed.
func WithinSteps(steps, values int) bool { return steps <= stepBudget(values) }

// anything is the node of a value without a schema: it checks only that numbers are within range.
var anything = &node{minItems: -1, maxItems: -1, minLength: -1, maxLength: -1, cost: 1,
	plain: 1<<jsonvalue.Null | 1<<jsonvalue.Bool | 1<<jsonvalue.String | 1<<jsonvalue.Array | 1<<jsonvalue.Object}

// node is one schema, compiled for the walk; -1 stands for an absent bound.
type node struct {
	unsure bool  // a keyword the walk does not know, or the false schema: never certain
	kinds  uint8 // the kinds "type" allows, a bit per jsonvalue.Kind; 0 without "type"
	// plain has a bit per kind of value that nothing but "type" (and, for objects, the members) checks: a value of
	// such a kind is certain as far as the node's own keywords go (Check.Value).
	plain       uint8
	integerOnly bool   // "type" allows integers but not numbers
	enums       []enum // "const" and "enum": the value must be one of each
	dateTime    bool   // "format": "date-time", checked natively
	format      *jsonschema.Format
	all         []*node // $ref and allOf: the value must be certain for each too
	// cost is the steps a walk takes on a scalar it is sure of with this node: one for it and for each node of all,
	// in turn, as often as it is met; maxCost past that (a loop of them, at whose end the walk is never sure).
	cost int

	// Objects. props holds the names of properties and required, sorted; a member whose name is not there, or has
	// no schema, goes to extra (nil: anything) unless noExtra.
	props    []prop
	index    map[string]int // props by name, when there are too many to search
	required int            // how many props are required
	noExtra  bool
	extra    *node

	// Arrays.
	minItems, maxItems int // -1: no bound
	items              *node

	// Strings.
	minLength, maxLength int // -1: no bound
	pattern              jsonschema.Regexp

	// Numbers.
	bounds []bound

	// The JSON Lines table (table.go), on the copies of the nodes where its columns are: the columns of an object,
	// and the type of a value's column when the table may not read every valid value of it (bigint, timestamp).
	table  *tableLevel
	column Type
}

type prop struct {
	name     string
	node     *node // nil: only required
	required bool
	column   bool // a column of the table's struct (table.go)
}

// enum is the scalars a value may be; other values of a schema's enum (containers, non-integer numbers) are left
// out, which can only make the walk less certain.
type enum struct {
	strs          []string
	ints          []int64
	null, yes, no bool
}

// bound is a minimum (sign 1) or maximum (sign -1), exclusive when strict. Integer bounds compare exactly with
// integer values; the others as float64, when certain.
type bound struct {
	sign   int
	strict bool
	// nonNegative: a minimum that every number without a minus sign meets (below 0, or 0 inclusive), so that the
	// common "minimum": 0 needs no number read.
	nonNegative bool
	isInt       bool
	i           int64
	f           float64
}

// maxIndexed is the number of names beyond which an object's names are looked up in a map.
const maxIndexed = 12

// compileRoot compiles the schema of a record into its nodes.
func compileRoot(s *jsonschema.Schema) *node {
	done := map[*jsonschema.Schema]*node{}
	root := compileNode(s, done)
	open := map[*node]bool{}
	for _, n := range done {
		n.setCost(open)
	}
	return root
}

// maxCost stands for a cost beyond the steps of any walk (a loop of references).
const maxCost = math.MaxInt32

// setCost sets n.cost, and that of the nodes of n.all; open holds the nodes whose cost is being set.
func (n *node) setCost(open map[*node]bool) int {
	if n.cost > 0 {
		return n.cost
	}
	if open[n] {
		return maxCost
	}
	open[n] = true
	cost := 1
	for _, sub := range n.all {
		cost = min(cost+sub.setCost(open), maxCost)
	}
	delete(open, n)
	n.cost = cost
	return cost
}

// compileNode compiles s and what it refers to; done holds the nodes made so far, so that references make cycles.
func compileNode(s *jsonschema.Schema, done map[*jsonschema.Schema]*node) *node {
	if n, ok := done[s]; ok {
		return n
	}
	n := &node{minItems: -1, maxItems: -1, minLength: -1, maxLength: -1}
	done[s] = n
	if s.Bool != nil {
		n.unsure = !*s.Bool
		n.plain = n.plainKinds()
		return n
	}
	if !known(s) {
		n.unsure = true
		return n
	}
	if s.Types != nil {
		n.kinds, n.integerOnly = kinds(*s.Types)
	}
	if s.Const != nil {
		n.enums = append(n.enums, enumOf([]any{*s.Const}))
	}
	if s.Enum != nil {
		n.enums = append(n.enums, enumOf(s.Enum.Values))
	}
	if s.Format != nil {
		if s.Format.Name == "date-time" {
			n.dateTime = true
		} else {
			n.format = s.Format
		}
	}
	if s.Ref != nil {
		n.all = append(n.all, compileNode(s.Ref, done))
	}
	for _, sub := range s.AllOf {
		n.all = append(n.all, compileNode(sub, done))
	}
	n.compileObject(s, done)
	if !n.compileArray(s, done) {
		n.unsure = true
		return n
	}
	if s.MinLength != nil {
		n.minLength = *s.MinLength
	}
	if s.MaxLength != nil {
		n.maxLength = *s.MaxLength
	}
	n.pattern = s.Pattern
	for _, b := range []struct {
		r      *big.Rat
		sign   int
		strict bool
	}{{s.Minimum, 1, false}, {s.ExclusiveMinimum, 1, true}, {s.Maximum, -1, false}, {s.ExclusiveMaximum, -1, true}} {
		if b.r != nil {
			f, _ := b.r.Float64()
			nb := bound{sign: b.sign, strict: b.strict, f: f,
				nonNegative: b.sign > 0 && (b.r.Sign() < 0 || b.r.Sign() == 0 && !b.strict)}
			if b.r.IsInt() && b.r.Num().IsInt64() {
				nb.isInt, nb.i = true, b.r.Num().Int64()
			}
			n.bounds = append(n.bounds, nb)
		}
	}
	n.plain = n.plainKinds()
	return n
}

// plainKinds is node.plain, once the node's keywords are in.
func (n *node) plainKinds() uint8 {
	if n.unsure || len(n.enums) > 0 || n.format != nil || len(n.all) > 0 {
		return 0
	}
	k := uint8(1<<jsonvalue.Null | 1<<jsonvalue.Bool | 1<<jsonvalue.Object) // numbers: always checked for range
	if n.minLength < 0 && n.maxLength < 0 && n.pattern == nil && !n.dateTime && n.column != Timestamp {
		k |= 1 << jsonvalue.String
	}
	if n.minItems < 0 && n.maxItems < 0 {
		k |= 1 << jsonvalue.Array
	}
	if n.kinds != 0 {
		k &= n.kinds
	}
	return k
}

func (n *node) compileObject(s *jsonschema.Schema, done map[*jsonschema.Schema]*node) {
	names := map[string]*prop{}
	for name, sub := range s.Properties {
		names[name] = &prop{name: name, node: compileNode(sub, done)}
	}
	for _, name := range s.Required {
		if names[name] == nil {
			names[name] = &prop{name: name}
		}
		names[name].required = true
	}
	for _, p := range names {
		n.props = append(n.props, *p)
		if p.required {
			n.required++
		}
	}
	slices.SortFunc(n.props, func(a, b prop) int { return cmpString(a.name, b.name) })
	if len(n.props) > maxIndexed {
		n.index = make(map[string]int, len(n.props))
		for i, p := range n.props {
			n.index[p.name] = i
		}
	}
	switch extra := s.AdditionalProperties.(type) {
	case bool:
		n.noExtra = !extra
	case *jsonschema.Schema:
		n.extra = compileNode(extra, done)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compileArray reports false for tuple items, which the walk does not know.
func (n *node) compileArray(s *jsonschema.Schema, done map[*jsonschema.Schema]*node) bool {
	if s.MinItems != nil {
		n.minItems = *s.MinItems
	}
	if s.MaxItems != nil {
		n.maxItems = *s.MaxItems
	}
	items := s.Items2020
	if s.DraftVersion < 2020 {
		switch it := s.Items.(type) {
		case *jsonschema.Schema:
			items = it
		case nil:
		default:
			return false
		}
	}
	if items != nil {
		n.items = compileNode(items, done)
	}
	return true
}

// known reports whether s uses only the keywords the walk understands (annotations aside).
func known(s *jsonschema.Schema) bool {
	return s.RecursiveRef == nil && s.DynamicRef == nil && s.Not == nil && s.AnyOf == nil && s.OneOf == nil &&
		s.If == nil && s.MaxProperties == nil && s.MinProperties == nil && s.PropertyNames == nil &&
		s.PatternProperties == nil && s.Dependencies == nil && s.DependentRequired == nil &&
		s.DependentSchemas == nil && s.UnevaluatedProperties == nil && !s.UniqueItems && s.Contains == nil &&
		s.AdditionalItems == nil && s.PrefixItems == nil && s.UnevaluatedItems == nil && s.ContentEncoding == nil &&
		s.ContentMediaType == nil && s.ContentSchema == nil && s.MultipleOf == nil && s.Extensions == nil &&
		(s.Ref == nil || s.DraftVersion >= 2019) // before 2019-09, $ref made its siblings ignored
}

// The library's bit for each JSON type, found by asking it (jsonschema.Types is a bit set of unexported bits).
var tNull, tBoolean, tNumber, tInteger, tString, tArray, tObject = typeBit("null"), typeBit("boolean"),
	typeBit("number"), typeBit("integer"), typeBit("string"), typeBit("array"), typeBit("object")

func typeBit(name string) int {
	var t jsonschema.Types
	t.Add(name)
	return int(t)
}

// kinds turns "type" into a bit per jsonvalue.Kind, and whether numbers must be integers.
func kinds(types jsonschema.Types) (k uint8, integerOnly bool) {
	want := int(types)
	for _, m := range []struct {
		bit  int
		kind jsonvalue.Kind
	}{{tNull, jsonvalue.Null}, {tBoolean, jsonvalue.Bool}, {tString, jsonvalue.String}, {tArray, jsonvalue.Array},
		{tObject, jsonvalue.Object}, {tNumber | tInteger, jsonvalue.Number}} {
		if want&m.bit != 0 {
			k |= 1 << m.kind
		}
	}
	return k, want&tNumber == 0 && want&tInteger != 0
}

func enumOf(values []any) enum {
	var e enum
	for _, v := range values {
		switch v := v.(type) {
		case nil:
			e.null = true
		case bool:
			e.yes, e.no = e.yes || v, e.no || !v
		case string:
			e.strs = append(e.strs, v)
		case interface{ String() string }: // json.Number, as the library reads schema documents
			if i, ok := jsonvalue.ParseInt(v.String()); ok {
				e.ints = append(e.ints, i)
			}
		}
	}
	return e
}

// sure reports whether v is certainly valid against n, and its numbers within float64's range (numbers.go).
func (n *node) sure(v jsonvalue.Value, depth int, steps *int) bool {
	if !n.sureSelf(v, depth, steps) {
		return false
	}
	switch v.Kind() {
	case jsonvalue.Object:
		return n.sureObject(v, depth, steps)
	case jsonvalue.Array:
		return n.sureArray(v, depth, steps)
	}
	return true
}

// sureSelf is sure but for the members and elements of v, and the length of an array, which sure checks after.
// Each call takes one of steps: a walk that runs out of them is not sure (Schema.steps).
func (n *node) sureSelf(v jsonvalue.Value, depth int, steps *int) bool {
	if *steps--; n.unsure || depth > maxSureDepth || *steps < 0 {
		return false
	}
	kind := v.Kind()
	if n.kinds != 0 && n.kinds&(1<<kind) == 0 {
		return false
	}
	for i := range n.enums {
		if !n.enums[i].has(v) {
			return false
		}
	}
	if n.format != nil && !formatted(n.format, v) {
		return false
	}
	for _, sub := range n.all {
		if !sub.sure(v, depth+1, steps) {
			return false
		}
	}
	switch kind {
	case jsonvalue.String:
		return n.sureString(v.Text(), v.Plain())
	case jsonvalue.Number:
		return representable(v.Text()) && n.sureNumber(v.Text())
	}
	return true
}

// formatted asks the library's own format check (strings are passed as they are, without the conversion).
func formatted(f *jsonschema.Format, v jsonvalue.Value) bool {
	if v.Kind() == jsonvalue.String {
		return f.Validate(v.Text()) == nil
	}
	return f.Validate(v.Any()) == nil
}

func (e *enum) has(v jsonvalue.Value) bool {
	switch v.Kind() {
	case jsonvalue.Null:
		return e.null
	case jsonvalue.Bool:
		if v.True() {
			return e.yes
		}
		return e.no
	case jsonvalue.String:
		return slices.Contains(e.strs, v.Text())
	case jsonvalue.Number:
		i, ok := jsonvalue.ParseInt(v.Text())
		return ok && slices.Contains(e.ints, i)
	}
	return false
}

// lookup returns the index of name in n.props, or -1. It looks from props[from] on first, then before it: where the
// next name of an object whose keys come sorted (a transform's output, as jq writes it) is.
func (n *node) lookup(name string, from int) int {
	if n.index != nil {
		if i, ok := n.index[name]; ok {
			return i
		}
		return -1
	}
	props := n.props
	for i := from; i < len(props); i++ {
		if p := props[i].name; len(p) == len(name) && p == name {
			return i
		}
	}
	for i := 0; i < from && i < len(props); i++ {
		if p := props[i].name; len(p) == len(name) && p == name {
			return i
		}
	}
	return -1
}

// sureObject checks the members; a member whose key a later one repeats is checked too, which can only make the
// walk less certain.
func (n *node) sureObject(obj jsonvalue.Value, depth int, steps *int) bool {
	m := met{missing: n.required}
	for i := range obj.Len() {
		sub, ok := n.member(obj.Key(i), &m)
		if !ok || !sub.sure(obj.Index(i), depth+1, steps) {
			return false
		}
	}
	if m.missing > 0 {
		return len(n.props) > 64 && n.sureRequired(obj)
	}
	return true
}

// met counts the required names an object has, when there are at most 64 props (else sureRequired looks them up),
// and where to look up the next name.
type met struct {
	seen    uint64
	missing int
	next    int // the prop after the last one found
}

// member returns the node that a member named key is checked against (anything, without a schema), and notes a
// required name in m; false when no such member is allowed.
func (n *node) member(key string, m *met) (*node, bool) {
	var sub *node
	column := false
	if k := n.lookup(key, m.next); k >= 0 {
		m.next = k + 1
		p := &n.props[k]
		if p.required && k < 64 && m.seen&(1<<k) == 0 {
			m.seen |= 1 << k
			m.missing--
		}
		sub, column = p.node, p.column
	}
	if n.table != nil && !column {
		if _, misread := n.table.misreadKey(key); misread != "" {
			return nil, false
		}
	}
	if sub == nil {
		if n.noExtra {
			return nil, false
		}
		sub = n.extra
	}
	if sub == nil {
		sub = anything
	}
	return sub, true
}

// sureRequired looks up each required name, for the objects with too many names for sureObject's bit set.
func (n *node) sureRequired(obj jsonvalue.Value) bool {
	for _, p := range n.props {
		if _, ok := obj.Get(p.name); p.required && !ok {
			return false
		}
	}
	return true
}

// sureLength checks an array's length.
func (n *node) sureLength(arr jsonvalue.Value) bool {
	return (n.minItems < 0 || arr.Len() >= n.minItems) && (n.maxItems < 0 || arr.Len() <= n.maxItems)
}

func (n *node) sureArray(arr jsonvalue.Value, depth int, steps *int) bool {
	if !n.sureLength(arr) {
		return false
	}
	for i := range arr.Len() {
		if !n.itemsNode().sure(arr.Index(i), depth+1, steps) {
			return false
		}
	}
	return true
}

// sureString checks a string; ascii says that it is known to be ASCII (jsonvalue.Value.Plain), one character a byte.
func (n *node) sureString(s string, ascii bool) bool {
	if n.minLength >= 0 || n.maxLength >= 0 {
		c := len(s)
		if !ascii {
			c = utf8.RuneCountInString(s)
		}
		if (n.minLength >= 0 && c < n.minLength) || (n.maxLength >= 0 && c > n.maxLength) {
			return false
		}
	}
	if n.column == Timestamp {
		if !timestampReads(s) { // which dateTime(s) is too
			return false
		}
	} else if n.dateTime && !dateTime(s) {
		return false
	}
	return n.pattern == nil || n.pattern.MatchString(s)
}

func (n *node) sureNumber(lit string) bool {
	if n.column == Bigint && !bigintReads(lit) {
		return false
	}
	if len(n.bounds) == 0 && !n.integerOnly {
		return true
	}
	i, isInt := jsonvalue.ParseInt(lit)
	// An integer by the library's rule is a number without a fractional part; 1.0 and 1e3 are left to it.
	if n.integerOnly && !isInt && !integerLiteral(lit) {
		return false
	}
	if len(n.bounds) == 0 {
		return true
	}
	f := math.NaN()
	for _, b := range n.bounds {
		if b.nonNegative && lit[0] != '-' {
			continue
		}
		if isInt && b.isInt {
			if !(b.sign > 0 && (i > b.i || !b.strict && i == b.i) || b.sign < 0 && (i < b.i || !b.strict && i == b.i)) {
				return false
			}
			continue
		}
		if math.IsNaN(f) {
			f = parseFloat(lit)
			if math.IsNaN(f) {
				return false
			}
		}
		// The true values lie strictly within one step of f and of b.f.
		if b.sign > 0 && math.Nextafter(f, math.Inf(-1)) < math.Nextafter(b.f, math.Inf(1)) ||
			b.sign < 0 && math.Nextafter(f, math.Inf(1)) > math.Nextafter(b.f, math.Inf(-1)) {
			return false
		}
	}
	return true
}

// integerLiteral reports whether a number literal has no fraction or exponent.
func integerLiteral(lit string) bool {
	for i := 0; i < len(lit); i++ {
		if c := lit[i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// itemsNode is the node an array's elements are checked against.
func (n *node) itemsNode() *node {
	if n.items == nil {
		return anything
	}
	return n.items
}

// Check is the fast path in steps, for a caller that walks a value's tree itself (the transform's writer, which
// checks its output as it writes it, instead of a second walk after): Value checks a value but for its members and
// elements, which the caller checks in turn with the Checks that Members and Items return. When every step is
// true, and the Steps of the Checks add up to at most what WithinSteps allows, the fast path on the whole value
// would be true, and the library would accept it. The zero Check checks nothing: every step is false.
type Check struct {
	n *node
	// hops counts the nodes that are only a reference (of) followed on the way from the record's node to n, for
	// this value and for the containers around it: the tree walk goes one deeper for each, and takes a step for each.
	hops int32
	// steps is what the tree walk takes on a value this Check is sure of (hops, and n.cost); 0 where the walk is not
	// bounded (a linear schema), else at least 1.
	steps int32
}

// Check returns the check of a whole record.
func (s *Schema) Check() Check {
	c := Check{}
	if s.nonlinear {
		c.steps = 1
	}
	return c.of(s.root)
}

// of is the Check of n, a node of a value inside c's (or of c's own, for the record): of the schema n refers to,
// when it is only a reference ({"$ref": …}, or an allOf of one), so that a container's schema found through a
// reference is checked in steps too.
//
// The tree walk takes a step for each such node, one deeper each time, and each one walks the members and elements
// of its value once more, against anything (sureObject), a step each. So a value's depth in that walk is its
// depth in the record and the hops of the Checks of it and of the containers around it, and its steps those hops
// and its own node's cost.
func (c Check) of(n *node) Check {
	hops := c.hops
	for range 16 { // a reference to itself ends
		// A copy with the JSON Lines table's rules (table.go) is one when the node it refers to has them too: an
		// object's, an array's elements'; not a scalar's, which are the copy's own.
		if len(n.all) != 1 || !n.onlyAll() || n.column == Bigint || n.column == Timestamp ||
			n.table != nil && n.all[0].table != n.table {
			break
		}
		n = n.all[0]
		hops++
	}
	sub := Check{n: n, hops: hops}
	if c.steps > 0 {
		sub.steps = int32(min(int(hops)+n.cost, maxCost))
	}
	return sub
}

// Steps is what the tree walk takes on a value c is sure of: the caller adds them up for WithinSteps.
func (c Check) Steps() int { return int(c.steps) }

// onlyAll reports whether n has no keyword but those of n.all.
func (n *node) onlyAll() bool {
	return !n.unsure && n.kinds == 0 && !n.integerOnly && len(n.enums) == 0 && !n.dateTime && n.format == nil &&
		len(n.props) == 0 && n.required == 0 && !n.noExtra && n.extra == nil && n.minItems < 0 && n.maxItems < 0 &&
		n.items == nil && n.minLength < 0 && n.maxLength < 0 && n.pattern == nil && len(n.bounds) == 0
}

// Value reports whether v is certainly valid but for its members or elements; depth is its nesting in the record
// (0 for the record itself).
func (c Check) Value(v jsonvalue.Value, depth int) bool {
	n := c.n
	if n == nil {
		return false
	}
	depth += int(c.hops)
	kind := v.Kind()
	if n.plain&(1<<kind) != 0 && depth <= maxSureDepth {
		return true
	}
	if (kind == jsonvalue.Object || kind == jsonvalue.Array) && (len(n.enums) > 0 || n.format != nil || len(n.all) > 0) {
		return false // these look at the members: the walk on the whole tree decides
	}
	steps := scalarSteps
	return n.sureSelf(v, depth, &steps) && (kind != jsonvalue.Array || n.sureLength(v))
}

// SureKind is Value's first answer, small enough to be inlined: true when c is certain of every value of kind at
// depth by its own keywords (a string without length, pattern or format). false means: ask Value.
func (c Check) SureKind(kind jsonvalue.Kind, depth int) bool {
	return c.n != nil && c.n.plain&(1<<kind) != 0 && depth+int(c.hops) <= maxSureDepth
}

// Members returns the Checks of an object's members, whose keys are keys (each once), in their order; false when
// the keys alone make the object not certainly valid (a required one missing, one not allowed). subs is reused
// for the result.
func (c Check) Members(keys []string, subs []Check) ([]Check, bool) {
	n := c.n
	if n == nil || n.unsure || len(n.props) > 64 {
		return subs, false
	}
	m := met{missing: n.required}
	for _, key := range keys {
		sub, ok := n.member(key, &m)
		if !ok {
			return subs, false
		}
		subs = append(subs, c.of(sub))
	}
	return subs, m.missing == 0
}

// Items returns the Check of an array's elements.
func (c Check) Items() Check {
	if c.n == nil {
		return c
	}
	return c.of(c.n.itemsNode())
}
