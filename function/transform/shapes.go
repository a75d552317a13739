package transform

import (
	"slices"
	"strings"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// Records of one producer mostly have objects with the same keys in the same order, record after record. Sorting
// an object's keys and escaping them, as gojq writes them, cost the writer more than its values did; so the writer
// does it once per such key sequence (a shape) and keeps the result in its Scratch.

// shape is the written form of the objects with one key sequence.
type shape struct {
	keys  []string // the members' keys, in the object's order (copies: the records' text does not last)
	order []int    // the members written, in key order, each key once (its last member), as indices into members
	heads []string // what precedes each written member's value: `{"key":` for the first, `,"key":` for the others
	// The checks of the members written, in order, for the last schema.Check the object was written with
	// (writer.shaped), and whether its keys left it certain.
	checkOf          schema.Check
	subs             []schema.Check
	checked, checkOK bool
	busy             bool // its members are being written: an object inside with the same keys does without it
}

// Bounds of the cache, so that records with ever new keys (objects used as maps) cost it little memory and time.
const (
	maxShapes     = 256     // shapes kept; beyond, the cache starts again
	maxShapeKeys  = 64      // keys of an object it keeps the shape of
	maxShapeBytes = 1 << 10 // bytes of those keys, which a shape holds twice (copied, and escaped)
)

// shapes finds the shape of an object's members. A key sequence gets its shape the second time it is met: the
// first time, only its fingerprint is noted, so that a key sequence met once costs no copy.
type shapes struct {
	byKeys map[uint64]*shape // by fingerprint
	// The shape of the k-th object written of the last record, tried first: records of one producer mostly have
	// the same objects in the same order.
	byPlace []*shape
	k       int // objects written of this record
}

// of returns the shape of members (an object's keys and values in turn), or nil when the writer should sort them
// itself.
func (c *shapes) of(members []jsonvalue.Value) *shape {
	n := len(members) / 2
	if n == 0 || n > maxShapeKeys {
		return nil
	}
	k := c.k
	c.k++
	if k < len(c.byPlace) {
		if sh := c.byPlace[k]; sh != nil && sh.matches(members) {
			return sh
		}
	}
	h := fingerprint(members)
	sh, seen := c.byKeys[h]
	switch {
	case sh != nil && sh.matches(members):
	case !seen:
		if c.byKeys == nil || len(c.byKeys) >= maxShapes {
			c.byKeys = make(map[uint64]*shape, 16)
		}
		c.byKeys[h] = nil
	default:
		if len(c.byKeys) >= maxShapes {
			c.byKeys = make(map[uint64]*shape, 16)
		}
		sh = newShape(members)
		c.byKeys[h] = sh // nil for keys too long to keep: sorted each time
	}
	if k < maxShapes {
		for len(c.byPlace) <= k {
			c.byPlace = append(c.byPlace, nil)
		}
		c.byPlace[k] = sh
	}
	return sh
}

// fingerprint mixes the number of members with each key's length and first and last bytes: cheap, and distinct for
// the key sequences of most records; matches settles it.
func fingerprint(members []jsonvalue.Value) uint64 {
	h := uint64(len(members))
	for i := 0; i < len(members); i += 2 {
		k := members[i].Text()
		h ^= uint64(len(k))
		if len(k) > 0 {
			h ^= uint64(k[0])<<16 | uint64(k[len(k)-1])<<24
		}
		h *= 0x100000001b3 // FNV-1a's prime
	}
	return h
}

// matches reports whether members have the keys of sh, in its order.
func (sh *shape) matches(members []jsonvalue.Value) bool {
	if len(members) != 2*len(sh.keys) {
		return false
	}
	for i, k := range sh.keys {
		if !sameKey(members[2*i].Text(), k) {
			return false
		}
	}
	return true
}

// sameKey is a == b, for the short strings that keys mostly are without the runtime's call: a key of 4 to 16 bytes
// is compared as two words that overlap in the middle.
func sameKey(a, b string) bool {
	n := len(a)
	switch {
	case n != len(b):
		return false
	case n >= 8 && n <= 16:
		return word64(a, 0) == word64(b, 0) && word64(a, n-8) == word64(b, n-8)
	case n >= 4 && n < 8:
		return word32(a, 0) == word32(b, 0) && word32(a, n-4) == word32(b, n-4)
	}
	return a == b
}

// word64 and word32 are the eight and four bytes of s at i, in one load each.
func word64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func word32(s string, i int) uint32 {
	b := s[i : i+4]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// newShape makes the shape of members, or returns nil when their keys are too long to keep.
func newShape(members []jsonvalue.Value) *shape {
	sh := &shape{keys: make([]string, len(members)/2)}
	size := 0
	for i := range sh.keys {
		size += len(members[2*i].Text())
	}
	if size > maxShapeBytes {
		return nil
	}
	var all strings.Builder // one allocation for the copies of the keys
	all.Grow(size)
	for i := range sh.keys {
		all.WriteString(members[2*i].Text())
	}
	keys := all.String()
	for i := range sh.keys {
		n := len(members[2*i].Text())
		sh.keys[i], keys = keys[:n], keys[n:]
	}
	sh.order = sortMembers(nil, members)
	var heads []byte // one allocation for them all
	ends := make([]int, len(sh.order))
	for j, i := range sh.order {
		sep := byte(',')
		if j == 0 {
			sep = '{'
		}
		heads = append(appendString(append(heads, sep), members[i].Text()), ':')
		ends[j] = len(heads)
	}
	headText := string(heads)
	sh.heads = make([]string, len(ends))
	start := 0
	for j, end := range ends {
		sh.heads[j], start = headText[start:end], end
	}
	return sh
}

// sortMembers appends to order the indices of the members to write, in key order, each key once: its last member,
// which is the one that counts (decoding kept every member).
func sortMembers(order []int, members []jsonvalue.Value) []int {
	base := len(order)
	for i := 0; i < len(members); i += 2 {
		order = append(order, i)
	}
	ix := order[base:]
	// Stable, so that of a repeated key the last member comes last, and is the one kept.
	if len(ix) <= 16 {
		for i := 1; i < len(ix); i++ {
			for j := i; j > 0 && less(members[ix[j]].Text(), members[ix[j-1]].Text()); j-- {
				ix[j], ix[j-1] = ix[j-1], ix[j]
			}
		}
	} else {
		slices.SortStableFunc(ix, func(a, b int) int { return strings.Compare(members[a].Text(), members[b].Text()) })
	}
	n := 0
	for j := range ix {
		if j+1 < len(ix) && members[ix[j]].Text() == members[ix[j+1]].Text() {
			continue
		}
		ix[n] = ix[j]
		n++
	}
	return order[:base+n]
}
