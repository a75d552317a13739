package awsfake

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Log lists the calls a fake served, in order, one line each (the fake's doc gives the lines). A test may give
// several fakes, and its own stand-ins, the same Log to check the order of calls across them. The zero Log is
// ready to use, and a nil *Log discards.
type Log struct {
	mu    sync.Mutex
	calls []string
}

// Add appends a line.
func (l *Log) Add(call string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, call)
}

// Calls returns the lines so far.
func (l *Log) Calls() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// Prefixed returns the lines that start with prefix.
func (l *Log) Prefixed(prefix string) []string {
	var out []string
	for _, c := range l.Calls() {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// Faults makes a fake's calls fail on purpose, operation by operation (by the SDK's operation name, such as
// "GetRecords"). A fault is checked before anything else, the way a throttled or unauthorised call fails
// before AWS looks at it.
type Faults struct {
	mu     sync.Mutex
	ops    []string // the operations the fake serves
	next   map[string][]error
	always map[string]error
}

func newFaults(ops ...string) Faults {
	return Faults{ops: ops, next: map[string][]error{}, always: map[string]error{}}
}

// FailNext makes the next len(errs) calls of op fail with errs, in order, after any already scheduled; a nil
// entry lets its call through.
func (f *Faults) FailNext(op string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.check(op)
	f.next[op] = append(f.next[op], errs...)
}

// FailAlways makes every call of op fail with err once the scheduled ones are used up; a nil err ends that.
func (f *Faults) FailAlways(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.check(op)
	f.always[op] = err
}

// PendingFaults returns how many of the faults scheduled with FailNext for op have not been used yet.
func (f *Faults) PendingFaults(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.check(op)
	return len(f.next[op])
}

// take returns the fault for a call of op, or nil.
func (f *Faults) take(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := f.next[op]; len(q) > 0 {
		f.next[op] = q[1:]
		return q[0]
	}
	return f.always[op]
}

// check panics on an operation the fake does not serve: a typo would otherwise make a test's fault silently
// never happen.
func (f *Faults) check(op string) {
	if !slices.Contains(f.ops, op) {
		panic(fmt.Sprintf("awsfake: no operation %q here; the fake serves %v", op, f.ops))
	}
}
