package schema

import (
	"slices"
	"unicode/utf8"
	"unsafe"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// SureText is the fast path (fast.go) on a record's text, for a caller that needs no tree of it: it reports
// whether data is certainly one compact JSON value (no white space outside its strings) of at most maxValues values
// and object keys (0: any number, as jsonvalue.Decoder.MaxValues counts them) that the library would accept. Then
// decoding data and validating it would succeed. Anything it does not take the short way — white space, an escape,
// a keyword or a number it cannot be sure of, an invalid record — answers false, and the caller decodes and
// validates as usual.
func (s *Schema) SureText(data []byte, maxValues int) bool {
	if !utf8.Valid(data) {
		return false // the decoder would replace what is not UTF-8
	}
	w := textWalk{src: data, max: maxValues, steps: s.steps(len(data))} // a value takes a byte at least
	budget := w.steps
	end, ok := w.value(s.root, 0, 0)
	// Within the steps the tree walk of the record would have: the budget of its values.
	return ok && end == len(data) && budget-w.steps <= s.steps(w.values)
}

type textWalk struct {
	src         []byte
	values, max int
	steps       int // left (fast.go)
}

// value walks the value at src[i] against n, and returns the offset just past it.
func (w *textWalk) value(n *node, i, depth int) (end int, ok bool) {
	if w.steps--; n.unsure || depth > maxSureDepth || i >= len(w.src) || w.steps < 0 {
		return 0, false
	}
	before := w.values
	var kind jsonvalue.Kind
	switch c := w.src[i]; {
	case c == '{':
		kind = jsonvalue.Object
	case c == '[':
		kind = jsonvalue.Array
	case c == '"':
		kind = jsonvalue.String
	case c == 't' || c == 'f':
		kind = jsonvalue.Bool
	case c == 'n':
		kind = jsonvalue.Null
	case c == '-' || c >= '0' && c <= '9':
		kind = jsonvalue.Number
	default:
		return 0, false
	}
	// A container is never certainly one of an enum's values; formats are left to the library but on strings.
	if n.kinds != 0 && n.kinds&(1<<kind) == 0 || n.format != nil && kind != jsonvalue.String ||
		len(n.enums) > 0 && (kind == jsonvalue.Object || kind == jsonvalue.Array) {
		return 0, false
	}
	switch kind {
	case jsonvalue.Object:
		end, ok = w.object(n, i, depth)
	case jsonvalue.Array:
		end, ok = w.array(n, i, depth)
	case jsonvalue.String:
		var s string
		if s, end, ok = w.string(i); ok {
			ok = (len(n.enums) == 0 || n.enumsHave(func(e *enum) bool { return slices.Contains(e.strs, s) })) &&
				(n.format == nil || n.format.Validate(s) == nil) && n.sureString(s, false)
		}
	default:
		end, ok = w.scalar(n, kind, i)
	}
	if !ok {
		return 0, false
	}
	// The nodes of n.all walk the value again: its values and keys are counted once.
	counted := w.values
	for _, sub := range n.all {
		w.values = before
		if e, ok := w.value(sub, i, depth+1); !ok || e != end {
			return 0, false
		}
	}
	w.values = counted
	return end, true
}

func (n *node) enumsHave(has func(*enum) bool) bool {
	for i := range n.enums {
		if !has(&n.enums[i]) {
			return false
		}
	}
	return true
}

// scalar walks a number, true, false or null.
func (w *textWalk) scalar(n *node, kind jsonvalue.Kind, i int) (int, bool) {
	end, err := jsoncompact.ScanValue(w.src, i, 0)
	if err != nil {
		return 0, false
	}
	lit := unsafe.String(&w.src[i], end-i)
	switch kind {
	case jsonvalue.Number:
		return end, representable(lit) && n.sureNumber(lit) && (len(n.enums) == 0 ||
			n.enumsHave(func(e *enum) bool { v, ok := jsonvalue.ParseInt(lit); return ok && slices.Contains(e.ints, v) }))
	case jsonvalue.Bool:
		yes := lit == "true"
		return end, n.enumsHave(func(e *enum) bool { return yes && e.yes || !yes && e.no })
	}
	return end, n.enumsHave(func(e *enum) bool { return e.null })
}

// string reads the string at src[i]: only one without escapes is its own text (in valid UTF-8: SureText checks).
func (w *textWalk) string(i int) (string, int, bool) {
	end, escaped, err := jsoncompact.ScanString(w.src, i)
	if err != nil || escaped {
		return "", 0, false
	}
	s := unsafe.String(unsafe.SliceData(w.src[i+1:]), end-i-2) // the caller's data does not change (SureText)
	return s, end, true
}

// count counts n more values and keys against the cap.
func (w *textWalk) count(n int) bool {
	w.values += n
	return w.max <= 0 || w.values <= w.max
}

func (w *textWalk) object(n *node, i, depth int) (int, bool) {
	src := w.src
	i++
	if i < len(src) && src[i] == '}' {
		return i + 1, n.required == 0
	}
	m := met{missing: n.required}
	for {
		key, kend, ok := w.string(i)
		if !ok || !w.count(2) || kend >= len(src) || src[kend] != ':' {
			return 0, false
		}
		sub, ok := n.member(key, &m)
		if !ok {
			return 0, false
		}
		if i, ok = w.value(sub, kend+1, depth+1); !ok || i >= len(src) {
			return 0, false
		}
		switch src[i] {
		case ',':
			i++
		case '}':
			return i + 1, m.missing == 0
		default:
			return 0, false
		}
	}
}

func (w *textWalk) array(n *node, i, depth int) (int, bool) {
	src := w.src
	i++
	items := n.itemsNode()
	count := 0
	if i < len(src) && src[i] == ']' {
		i++
	} else {
		for {
			var ok bool
			if !w.count(1) {
				return 0, false
			}
			if i, ok = w.value(items, i, depth+1); !ok || i >= len(src) {
				return 0, false
			}
			count++
			if src[i] == ']' {
				i++
				break
			}
			if src[i] != ',' {
				return 0, false
			}
			i++
		}
	}
	return i, (n.minItems < 0 || count >= n.minItems) && (n.maxItems < 0 || count <= n.maxItems)
}

// Text is Value on the text of a scalar, data[i:end], as SureText checks one; for a caller that reads a record's
// text itself (the transform's fused path). data must be valid UTF-8 and not change.
func (c Check) Text(data []byte, i, depth int) (end int, ok bool) {
	if c.n == nil || i >= len(data) || data[i] == '{' || data[i] == '[' {
		return 0, false
	}
	w := textWalk{src: data, steps: scalarSteps}
	return w.value(c.n, i, depth+int(c.hops))
}

// Unchecked is the Check of a value the schema does not see (one a transform drops): Text then only reads it,
// certain of what the fast path is certain of (no escapes, numbers within range).
func Unchecked() Check { return Check{n: anything} }
