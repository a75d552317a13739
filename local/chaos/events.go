package chaos

import (
	"strings"
	"sync"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
)

// Causes of a whole-batch function error, as the RIE reports them (errorType in the invocation's error object).
const (
	causeTimeout = "timeout"        // Sandbox.Timedout: the invocation ran into the function's timeout
	causeKilled  = "runtime killed" // Runtime.ExitError: the runtime died mid-invocation
	causeOther   = "function error" // anything else (the RIE's Sandbox.Failure right after a timeout, say)
)

// span is a range of one shard's records that the mapping did something with.
type span struct {
	shard, first, last string
	cause              string
}

func (s span) holds(shard, seq string) bool {
	return shard == s.shard && seqnum.Compare(seq, s.first) >= 0 && seqnum.Compare(seq, s.last) <= 0
}

// events collects what the mapping reports that its Stats do not say: why whole batches failed, which ranges
// failed that way or were given up on (on-failure records), and how many retries there were.
type events struct {
	mu        sync.Mutex
	retries   int
	errors    map[string]int // whole-batch function errors by cause
	failed    []span         // batches that failed as a whole, with the cause
	discarded []span         // ranges given up on (on-failure records)
}

func newEvents() *events { return &events{errors: map[string]int{}} }

// add is the mapping's event handler.
func (e *events) add(ev esm.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch ev.Type {
	case esm.Retrying:
		e.retries++
	case esm.FunctionFailed:
		cause := causeOther
		if ev.Err != nil {
			switch msg := ev.Err.Error(); {
			case strings.Contains(msg, `"Sandbox.Timedout"`):
				cause = causeTimeout
			case strings.Contains(msg, `"Runtime.ExitError"`):
				cause = causeKilled
			}
		}
		e.errors[cause]++
		e.failed = append(e.failed, span{ev.ShardID, ev.FirstSequenceNumber, ev.LastSequenceNumber, cause})
	case esm.OnFailureSent:
		e.discarded = append(e.discarded, span{ev.ShardID, ev.FirstSequenceNumber, ev.LastSequenceNumber, ev.Condition})
	}
}

// count is the number of function errors of the causes.
func (e *events) count(causes ...string) (n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range causes {
		n += e.errors[c]
	}
	return n
}

// snapshot returns copies of the counters and spans.
func (e *events) snapshot() (retries int, errors map[string]int, failed, discarded []span) {
	e.mu.Lock()
	defer e.mu.Unlock()
	errors = map[string]int{}
	for k, v := range e.errors {
		errors[k] = v
	}
	return e.retries, errors, append([]span(nil), e.failed...), append([]span(nil), e.discarded...)
}
