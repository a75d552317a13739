package schema

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// With FORMAT=jsonl, the catalog module's records table has the columns of Columns (without _extra) and reads the
// objects with the Hive JSON SerDe (Athena engine 3: Trino's JsonDeserializer, after Hive's). Some records the schema
// accepts, that table cannot read as the schema validated them:
//
//   - an integer beyond 64 bits in a bigint column (the SerDe's getLongValue fails), or one written with a fraction
//     or an exponent that a double cannot hold exactly (the SerDe reads such a literal through a double);
//   - a date-time in a timestamp column that the table's timestamp.formats cannot parse (a leap second, more than
//     nine fraction digits);
//   - a key that is not a column's name but that the SerDe reads into a column: one that equals a column's name
//     without case (it lowercases keys; the last such member wins), or _col<N> (Hive's name for unnamed columns,
//     which it maps to the column of ordinal N, or fails on).
//
// A query that meets one fails with BAD_DATA for the whole hour's objects, or silently reads another value. So such a
// record is invalid, with a reason naming the location and the rule, as FORMAT=parquet rejects what its columns cannot
// hold. ForJSONLines puts these rules on a copy of the compiled nodes, where the columns are: the fast paths (the
// walks, the transform's checks and fused plans) are then never sure of such a record, and ValidateAtMost words the
// reason after the library accepted it.

// The rules, as the reasons state them.
const (
	ruleBigint = "the records table's bigint column cannot read this integer exactly: beyond 64 bits, or written " +
		"with a fraction or exponent and not exactly a double (jsonl table)"
	ruleTimestamp = "the records table's timestamp column cannot read this date-time: a leap second, or more than 9 " +
		"fraction digits (jsonl table)"
	ruleCase     = "the records table reads this key as its column %s: Athena matches keys to columns without case (jsonl table)"
	ruleInternal = "the records table reads a key _col<N> as its column of ordinal N, Hive's name for unnamed columns (jsonl table)"
)

// LineColumn is the one column of the JSON Lines records table when the schema makes no column but _extra, or there
// is none (the catalog module's): each record's text.
const LineColumn = "line"

// ForJSONLines returns s for records written as JSON Lines under the records table whose columns are
// Columns(partitions): it also rejects the records that table cannot read as s validated them. It is s when s makes
// no column but _extra (the table then has one column, line, the record's text).
func (s *Schema) ForJSONLines(partitions []string) *Schema {
	cols := s.Columns(partitions)
	if len(cols) <= 1 {
		return s
	}
	t := *s
	t.root = (&tableCopier{left: maxTableCopies}).table(s.root, cols)
	return &t
}

// The copies follow the nodes a node refers to ($ref, allOf) for a struct's columns or an array's elements, at most
// maxTableRefs deep (far beyond a chain of references to definitions) and maxTableCopies in all (allOf in allOf
// multiplies them). A column not found by then makes its struct unsure: the library and the reason walk decide.
const (
	maxTableRefs   = 8
	maxTableCopies = 1 << 12
)

// tableLevel is the columns of a struct (the root's included) as the SerDe matches keys to them.
type tableLevel struct {
	lower map[string]string // lowercase name → name
}

// tableCopier makes the copies of the nodes, left more at most.
type tableCopier struct{ left int }

// table is a copy of n, the node of an object whose members are the columns cols, with the table's rules: on n and
// on copies of the nodes it refers to, each column's values are checked against the node of every property of its
// name.
func (cp *tableCopier) table(n *node, cols []Column) *node {
	level := &tableLevel{lower: map[string]string{}}
	byName := map[string]Column{}
	for _, col := range cols {
		if col.Name != ExtraColumn { // not in the JSON Lines table
			level.lower[strings.ToLower(col.Name)] = col.Name
			byName[col.Name] = col
		}
	}
	found := map[string]bool{}
	c := cp.object(n, level, byName, found, 0)
	if len(found) < len(byName) {
		c.unsure, c.plain = true, 0
	}
	return c
}

func (cp *tableCopier) object(n *node, level *tableLevel, cols map[string]Column, found map[string]bool, depth int) *node {
	cp.left--
	c := *n
	c.table = level
	c.props = slices.Clone(n.props)
	for i, p := range c.props {
		if col, ok := cols[p.name]; ok && p.node != nil {
			c.props[i].column, c.props[i].node, found[p.name] = true, cp.column(p.node, col), true
		}
	}
	if depth < maxTableRefs && cp.left > 0 {
		c.all = slices.Clone(n.all)
		for i, sub := range c.all {
			c.all[i] = cp.object(sub, level, cols, found, depth+1)
		}
	}
	c.plain = c.plainKinds()
	return &c
}

// column is n, the node of a column's values, with the table's rules for its type.
func (cp *tableCopier) column(n *node, col Column) *node {
	switch col.Type {
	case Struct:
		return cp.table(n, col.Fields)
	case Array:
		found := false
		c := cp.array(n, *col.Elem, &found, 0)
		if !found {
			c.unsure, c.plain = true, 0
		}
		return c
	case Bigint, Timestamp:
		c := *n
		c.column = col.Type
		c.plain = c.plainKinds()
		return &c
	}
	return n
}

// array is a copy of n, the node of an array column, whose element nodes (its own and those of the nodes it refers
// to) have the table's rules for elem; found notes that there is one.
func (cp *tableCopier) array(n *node, elem Column, found *bool, depth int) *node {
	cp.left--
	c := *n
	c.column = Array
	if n.items != nil {
		c.items, *found = cp.column(n.items, elem), true
	}
	if depth < maxTableRefs && cp.left > 0 {
		c.all = slices.Clone(n.all)
		for i, sub := range c.all {
			c.all[i] = cp.array(sub, elem, found, depth+1)
		}
	}
	c.plain = c.plainKinds()
	return &c
}

// misreadKey returns the check and the reason the table cannot take key, a member of the struct, or "" when it is a
// column's name or no column's.
func (l *tableLevel) misreadKey(key string) (check, reason string) {
	var buf [256]byte
	if folded, ok := hiveLower(key, buf[:0]); ok {
		if col, ok := l.lower[string(folded)]; ok {
			if col == key {
				return "", ""
			}
			return "table-case", fmt.Sprintf(ruleCase, col)
		}
	}
	if rest, ok := strings.CutPrefix(key, "_col"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
		return "table-internal-name", ruleInternal
	}
	return "", ""
}

// tableError is the Error of a value at path that the table cannot read, by check.
func tableError(path []string, check, reason string) error {
	at := pointer(path)
	return &Error{Pointer: at, Check: check, msg: "schema: " + at + ": " + reason}
}

// hiveLower appends key lowercased as the SerDe lowercases it (Java's toLowerCase(Locale.ROOT)), as far as that can
// give a column name: ASCII, in which only the Kelvin sign (U+212A, to k) ends. ok is false for anything else.
func hiveLower(key string, b []byte) ([]byte, bool) {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 0x80:
			if !strings.HasPrefix(key[i:], "\u212a") {
				return b, false
			}
			c, i = 'k', i+len("\u212a")-1
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if len(b) == cap(b) {
			return b, false // longer than a column name
		}
		b = append(b, c)
	}
	return b, true
}

// bigintReads reports whether the SerDe reads the integer literal lit (valid for "type": "integer") as its value:
// as a long when it has neither fraction nor exponent, else as the long of the nearest double.
func bigintReads(lit string) bool {
	if _, ok := jsonvalue.ParseInt(lit); ok {
		return true // the common case
	}
	n, ok := jsonvalue.ExactInt64(lit)
	if !ok || integerLiteral(lit) {
		return false
	}
	f, err := strconv.ParseFloat(lit, 64)
	switch {
	case err != nil:
		return false
	case f >= math.MaxInt64: // 2^63: Java's conversion gives the largest long
		return n == math.MaxInt64
	}
	return int64(f) == n
}

// timestampReads reports whether the records table's timestamp.formats (yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSZZ and
// yyyy-MM-dd'T'HH:mm:ssZZ, Joda-Time patterns whose literals and zero offset match without case) parse the date-time s:
// those jsonvalue.ReadDateTime reads (no leap second), with at most nine fraction digits.
func timestampReads(s string) bool {
	d, ok := jsonvalue.ReadDateTime(s)
	return ok && len(d.Fraction) <= 9
}

// misread returns the reason the table cannot read v, the value of n, as it is: the first value, in document order,
// that breaks a rule. nil when there is none, or without a table.
func (n *node) misread(v jsonvalue.Value, path []string) error {
	switch v.Kind() {
	case jsonvalue.Number:
		if n.column == Bigint && !bigintReads(v.Text()) {
			return tableError(path, "table-bigint", ruleBigint)
		}
	case jsonvalue.String:
		if n.column == Timestamp && !timestampReads(v.Text()) {
			return tableError(path, "table-timestamp", ruleTimestamp)
		}
	case jsonvalue.Array:
		if n.column != Array || n.items == nil {
			break
		}
		for i := range v.Len() {
			if err := n.items.misread(v.Index(i), append(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case jsonvalue.Object:
		if n.table == nil {
			break
		}
		// Every member, a repeated key's earlier ones too: the SerDe reads each before the last replaces it.
		for i := range v.Len() {
			key := v.Key(i)
			at := append(path, key)
			k := n.lookup(key, 0)
			if k < 0 || !n.props[k].column {
				if check, reason := n.table.misreadKey(key); reason != "" {
					return tableError(at, check, reason)
				}
				continue
			}
			if err := n.props[k].node.misread(v.Index(i), at); err != nil {
				return err
			}
		}
	}
	for _, sub := range n.all {
		if sub.table != nil || sub.column != "" { // a copy with the rules (the others have none, and may loop)
			if err := sub.misread(v, path); err != nil {
				return err
			}
		}
	}
	return nil
}
