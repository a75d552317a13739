package transform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// PathPattern is the syntax of a field path (TIME_FIELD, the paths of PARTITION_KEYS): the part of jq's path
// syntax that names one field — .name, ."any key", .["any key"], [N] for an array element — one or more steps,
// starting with a dot. The Terraform variables validate with the same expression, so a deployment is rejected
// at plan time exactly when the function would reject it at cold start.
const PathPattern = `^(` + nameStep + `|` + quotedStep + `|\.` + indexStep + `)(` + nameStep + `|` + quotedStep + `|\.?` + indexStep + `)*$`

// The steps of a path: .name, ."key", and [N] or ["key"] (with a dot before it only at the start).
const (
	nameStep   = `\.[A-Za-z_][A-Za-z0-9_]*`
	quotedStep = `\."` + quoted + `"`
	indexStep  = `\[("` + quoted + `"|[0-9]{1,9})\]` // an index strconv.Atoi reads, on any platform
	// quoted is the inside of a JSON string literal.
	quoted = `([^"\\\x00-\x1f]|\\(["\\/bfnrt]|u[0-9a-fA-F]{4}))*`
)

var pathRE = regexp.MustCompile(PathPattern)

// Path is a parsed field path.
type Path struct {
	src   string
	steps []step
}

// step is one key of an object, or (key empty, index >= 0) one element of an array.
type step struct {
	key   string
	index int
}

// ParsePath parses a field path written in PathPattern's syntax.
func ParsePath(s string) (Path, error) {
	if !pathRE.MatchString(s) {
		return Path{}, fmt.Errorf("%q is not a field path: use .name, .\"any key\", .[\"any key\"] or [N] steps, e.g. .customer.tenant", s)
	}
	p := Path{src: s}
	for i := 0; i < len(s); {
		if s[i] == '.' {
			i++
		}
		switch {
		case s[i] == '"': // ."key"
			end := quoteEnd(s, i)
			p.steps = append(p.steps, step{key: unquote(s[i:end]), index: -1})
			i = end
		case s[i] == '[' && s[i+1] == '"': // ["key"]
			end := quoteEnd(s, i+1)
			p.steps = append(p.steps, step{key: unquote(s[i+1 : end]), index: -1})
			i = end + 1
		case s[i] == '[': // [N]
			end := i + 1
			for s[end] != ']' {
				end++
			}
			n, err := strconv.Atoi(s[i+1 : end])
			if err != nil {
				return Path{}, fmt.Errorf("%q: array index %s: %w", s, s[i+1:end], err)
			}
			p.steps = append(p.steps, step{index: n})
			i = end + 1
		default: // name
			end := i
			for end < len(s) && s[end] != '.' && s[end] != '[' {
				end++
			}
			p.steps = append(p.steps, step{key: s[i:end], index: -1})
			i = end
		}
	}
	return p, nil
}

// quoteEnd returns the index just after the string literal that starts at s[i] == '"'; the pattern guarantees it.
func quoteEnd(s string, i int) int {
	for i++; s[i] != '"'; i++ {
		if s[i] == '\\' {
			i++
		}
	}
	return i + 1
}

func unquote(lit string) string {
	var key string
	_ = json.Unmarshal([]byte(lit), &key) // the pattern admits only valid JSON string literals
	return key
}

// String returns the path as written.
func (p Path) String() string { return p.src }

// Get returns the value at the path in v, and whether there is one. A missing key, an index past the end, or a
// step into a value that is not an object or array means none.
func (p Path) Get(v jsonvalue.Value) (jsonvalue.Value, bool) {
	for _, s := range p.steps {
		var ok bool
		switch {
		case v.Kind() == jsonvalue.Object && s.index < 0:
			if v, ok = v.Get(s.key); !ok {
				return v, false
			}
		case v.Kind() == jsonvalue.Array && s.index >= 0 && s.index < v.Len():
			v = v.Index(s.index)
		default:
			return jsonvalue.Value{}, false
		}
	}
	return v, true
}
