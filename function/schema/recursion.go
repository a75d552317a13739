package schema

import (
	"unsafe"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// The library evaluates every subschema that applies to a value, one after another, and remembers nothing: where a
// schema refers to itself (document trees, expression grammars), a union of branches that each descend again is
// evaluated once per branch at every level, 2^depth times, and each evaluation copies the instance location, as
// long as the depth. A record of 600 bytes could then take minutes and gigabytes. budget.Library bounds a record
// by its values, which is what a schema without recursion costs; with recursion, the record is bounded by the
// evaluations the library would make instead, counted (from above) on the record before the library runs.

// An evaluation costs the library about a quarter of what budget.LibraryValueCost allows a value (measured: 180 to
// 250 bytes, errors included), and more the deeper its value, for the instance location it copies: one at depth d
// counts as 1 + d/depthShare evaluations.
const depthShare = 64

// EvaluationsPerValue is how many evaluations a record may make for each value the library is allowed
// (budget.Budget.Library).
const EvaluationsPerValue = 4

// recursive reports whether a schema reaches itself through the subschemas it applies.
func recursive(root *jsonschema.Schema) bool {
	const (
		open = iota + 1
		done
	)
	state := map[*jsonschema.Schema]int{}
	var visit func(*jsonschema.Schema) bool
	visit = func(s *jsonschema.Schema) bool {
		switch state[s] {
		case open:
			return true
		case done:
			return false
		}
		state[s] = open
		found := false
		eachSub(s, func(sub *jsonschema.Schema, _ applies) {
			found = found || visit(sub)
		})
		for _, sub := range []*jsonschema.Schema{s.Then, s.Else} {
			found = found || sub != nil && visit(sub)
		}
		state[s] = done
		return found
	}
	return visit(root)
}

// fansOut reports whether a schema applies several subschemas to one value somewhere: allOf, anyOf, oneOf, if,
// or a reference beside other such keywords.
func fansOut(root *jsonschema.Schema) bool {
	seen := map[*jsonschema.Schema]bool{}
	var visit func(*jsonschema.Schema) bool
	visit = func(s *jsonschema.Schema) bool {
		if seen[s] {
			return false
		}
		seen[s] = true
		here, found := 0, false
		eachSub(s, func(sub *jsonschema.Schema, a applies) {
			if a.to == inPlace {
				here++
			}
			found = found || visit(sub)
		})
		for _, sub := range []*jsonschema.Schema{s.Then, s.Else} {
			found = found || sub != nil && visit(sub)
		}
		return found || here > 1
	}
	return visit(root)
}

// applies says which part of a value a subschema applies to: the value itself, the object member named name,
// any member (from above: patterns and "additional" are not told apart), the keys, the array element at index, or
// any element.
type applies struct {
	to    int
	name  string
	index int
}

const (
	inPlace = iota
	member
	anyMember
	keys
	item
	anyItem
)

// eachSub calls f with each subschema s applies and what it applies to, but "then" and "else", of which the
// library applies one. Runtime-resolved references ($dynamicRef, $recursiveRef) count as their static targets.
func eachSub(s *jsonschema.Schema, f func(*jsonschema.Schema, applies)) {
	here := applies{to: inPlace}
	for _, sub := range []*jsonschema.Schema{s.Ref, s.RecursiveRef, s.Not, s.If} {
		if sub != nil {
			f(sub, here)
		}
	}
	if s.DynamicRef != nil && s.DynamicRef.Ref != nil {
		f(s.DynamicRef.Ref, here)
	}
	for _, subs := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf} {
		for _, sub := range subs {
			f(sub, here)
		}
	}
	for _, sub := range s.DependentSchemas {
		f(sub, here)
	}
	for _, dep := range s.Dependencies {
		if sub, ok := dep.(*jsonschema.Schema); ok {
			f(sub, here)
		}
	}
	for name, sub := range s.Properties {
		f(sub, applies{to: member, name: name})
	}
	for _, sub := range s.PatternProperties {
		f(sub, applies{to: anyMember})
	}
	for _, sub := range []any{s.AdditionalProperties, s.UnevaluatedProperties} {
		if sub, ok := sub.(*jsonschema.Schema); ok && sub != nil {
			f(sub, applies{to: anyMember})
		}
	}
	if s.PropertyNames != nil {
		f(s.PropertyNames, applies{to: keys})
	}
	switch items := s.Items.(type) {
	case *jsonschema.Schema:
		f(items, applies{to: anyItem})
	case []*jsonschema.Schema:
		for i, sub := range items {
			f(sub, applies{to: item, index: i})
		}
	}
	for i, sub := range s.PrefixItems {
		f(sub, applies{to: item, index: i})
	}
	for _, sub := range []any{s.AdditionalItems, s.Items2020, s.Contains, s.UnevaluatedItems} {
		if sub, ok := sub.(*jsonschema.Schema); ok && sub != nil {
			f(sub, applies{to: anyItem})
		}
	}
}

// evaluations reports whether the library's evaluations of v against s, counted from above and each weighed by
// its depth, come to at most limit.
func evaluations(s *jsonschema.Schema, v jsonvalue.Value, limit int) bool {
	c := counter{limit: limit * depthShare, work: limit, memo: map[evaluation]int{}}
	return c.count(s, v, 0, 0) <= c.limit
}

// counter counts evaluations in 1/depthShare of a value's worth, saturating just past limit. Each schema and value
// is counted once (memo), and at most work times: past that, the count is over the limit.
type counter struct {
	limit, work int
	memo        map[evaluation]int
}

// evaluation is a schema on a value at a depth: the value is known by the address of its members, or of its text
// (values with the same text there, at the same depth, count the same).
type evaluation struct {
	s     *jsonschema.Schema
	at    unsafe.Pointer
	depth int
}

// count returns the evaluations of v (at depth) against s, and of what s applies to it and its members. chain is
// how many in-place subschemas led here: a loop of them, which the library reports as an error, counts as over the
// limit.
func (c *counter) count(s *jsonschema.Schema, v jsonvalue.Value, depth, chain int) int {
	over := c.limit + 1
	if chain > maxSureDepth || c.work <= 0 {
		return over
	}
	kids := jsonvalue.Members(v)
	key := evaluation{s, unsafe.Pointer(unsafe.StringData(v.Text())), depth}
	if len(kids) > 0 {
		key.at = unsafe.Pointer(unsafe.SliceData(kids))
	}
	if n, ok := c.memo[key]; ok {
		return n
	}
	c.work--
	n := depthShare + depth
	add := func(m int) { n = min(n+m, over) }
	eachSub(s, func(sub *jsonschema.Schema, a applies) {
		switch kind := v.Kind(); {
		case n == over:
		case a.to == inPlace:
			add(c.count(sub, v, depth, chain+1))
		case kind == jsonvalue.Object && a.to == keys:
			for i := 0; i < len(kids); i += 2 {
				add(c.count(sub, kids[i], depth+1, 0))
			}
		case kind == jsonvalue.Object && (a.to == anyMember || a.to == member):
			for i := 0; i < len(kids); i += 2 {
				if a.to == anyMember || kids[i].Text() == a.name {
					add(c.count(sub, kids[i+1], depth+1, 0))
				}
			}
		case kind == jsonvalue.Array && a.to == anyItem:
			for _, e := range kids {
				add(c.count(sub, e, depth+1, 0))
			}
		case kind == jsonvalue.Array && a.to == item && a.index < len(kids):
			add(c.count(sub, kids[a.index], depth+1, 0))
		}
	})
	// Of "then" and "else", the library evaluates one.
	branch := 0
	for _, sub := range []*jsonschema.Schema{s.Then, s.Else} {
		if sub != nil && n < over {
			branch = max(branch, c.count(sub, v, depth, chain+1))
		}
	}
	add(branch)
	c.memo[key] = n
	return n
}
