package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// Faults counts what was injected.
type Faults struct {
	S3Errors, S3Resets int           // requests failed at random with HTTP 500/503, or with a reset connection
	BrownOut           time.Duration // how long they were failing at random
	OutageRequests     int           // requests failed during the outage (every upload fails)
	Outage             time.Duration
	Killed, Frozen     int // runtimes killed mid-invocation, or frozen until their invocation timed out
}

// The faults happen in this order, each once the mapping has processed this share of the records and the one
// before had its effect, so that each meets records still to process however fast the mode drains.
const (
	killAt   = 0.05
	freezeAt = 0.15
	outageAt = 0.30
)

// injector plays the faults on one pipeline.
type injector struct {
	p      *pipeline.Pipeline
	ev     *events
	out    func(format string, args ...any)
	share  float64
	total  int64         // records fed, the denominator of progress
	effect time.Duration // how long a fault may take to show in the mapping's events

	mu               sync.Mutex // guards the proxy's rules and the brown-out's state
	brownOut, outage bool
	brownOutStarted  time.Time
	brownOutTook     time.Duration
	brownOutTimer    *time.Timer

	// Written by run's goroutine, read once it has returned.
	outageHits     atomic.Int64
	killed, frozen int
	outageTook     time.Duration
}

// setFaults sets the proxy's rules from the flags: during the outage every upload fails (and is counted), during
// the brown-out FaultShare of the requests do. The caller holds mu.
func (in *injector) setFaults() {
	in.p.Faults.Reset()
	if in.outage {
		in.p.Faults.Fail(func(r faultproxy.Request) bool {
			if r.IsObjectPut() {
				in.outageHits.Add(1)
				return true
			}
			return false
		}, faultproxy.InternalError, 0)
	}
	if in.brownOut {
		in.p.Faults.FailRandomly(nil, in.share, faultproxy.InternalError, faultproxy.SlowDown, faultproxy.CloseConnection)
	}
}

// startBrownOut fails FaultShare of the S3 requests from now on, for d (0: until stopFaults).
func (in *injector) startBrownOut(d time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.brownOut, in.brownOutStarted = true, time.Now()
	in.setFaults()
	if d > 0 {
		in.brownOutTimer = time.AfterFunc(d, in.endBrownOut)
	}
}

// endBrownOut stops the random failures; the timer and stopFaults may both call it.
func (in *injector) endBrownOut() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.brownOut {
		return
	}
	in.brownOut = false
	in.setFaults()
	in.brownOutTook = time.Since(in.brownOutStarted)
	in.out("  ✓ the brown-out ends after %s: S3 no longer fails at random\n", in.brownOutTook.Round(time.Second))
}

// setOutage starts or ends the outage, leaving the brown-out as it is.
func (in *injector) setOutage(on bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.outage = on
	in.setFaults()
}

// progress is the share of the records the mapping is done with (processed, or given up on).
func (in *injector) progress() float64 {
	st := in.p.Mapping.Stats()
	return float64(st.RecordsSucceeded+st.RecordsDiscarded) / float64(in.total)
}

// run plays the faults in order. It returns an error when one of them cannot be brought about: the mapping
// finished first, or the fault had no effect in time.
func (in *injector) run(ctx context.Context) error {
	steps := []struct {
		at   float64
		name string
		do   func(context.Context) error
	}{
		{killAt, "kill a runtime mid-invocation", in.kill},
		{freezeAt, "freeze a runtime until its invocation times out", in.freeze},
		{outageAt, "an S3 outage until ranges go to the on-failure destination", in.s3Outage},
	}
	for _, s := range steps {
		if err := in.waitProgress(ctx, s.at); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func (in *injector) waitProgress(ctx context.Context, at float64) error {
	for in.progress() < at {
		if err := pause(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// kill kills the runtime of an invocation under way, until the mapping sees the invocation fail: as a runtime exit,
// or, when the RIE notices the dead runtime another way, as another function error.
func (in *injector) kill(ctx context.Context) error {
	return in.signal(ctx, "killed", []string{causeKilled, causeOther}, in.p.Function.KillInvocation, &in.killed)
}

// freeze stops the runtime of an invocation under way, until the mapping sees a timeout.
func (in *injector) freeze(ctx context.Context) error {
	return in.signal(ctx, "froze", []string{causeTimeout}, in.p.Function.FreezeInvocation, &in.frozen)
}

// signal applies a Function signal to an invocation that has run for 50ms (any sooner and it may be a cold
// start), and waits for the failure to show as one of causes in the mapping's events; an invocation that was just
// finishing may still have succeeded, so it tries again.
func (in *injector) signal(ctx context.Context, verb string, causes []string, sig func(time.Duration) (int, int, bool, error), count *int) error {
	before := in.ev.count(causes...)
	for {
		instance, pid, ok, err := sig(50 * time.Millisecond)
		if err != nil {
			return err
		}
		if !ok {
			if in.progress() >= 1 {
				return fmt.Errorf("no invocation left to hit")
			}
			if err := pause(ctx, 10*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		*count++
		in.out("  ! %s the runtime of instance %d (pid %d) mid-invocation\n", verb, instance, pid)
		for deadline := time.Now().Add(in.effect); time.Now().Before(deadline); {
			if in.ev.count(causes...) > before {
				in.out("  ✓ the mapping saw the invocation fail: %s\n", strings.Join(causes, " or "))
				return nil
			}
			if err := pause(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
		in.out("  · no %s seen (the invocation may have just finished); again\n", strings.Join(causes, " or "))
	}
}

// s3Outage fails every upload until the mapping has given up on a range and sent its on-failure record, and for
// as long again (at most 30s), so that the batches of the other shards, failing since the same moment, run out of
// retries too.
func (in *injector) s3Outage(ctx context.Context) error {
	before := in.p.Mapping.Stats().OnFailureSent
	in.setOutage(true)
	began := time.Now()
	in.out("  ! S3 outage: every upload fails\n")
	defer func() {
		in.setOutage(false)
		in.outageTook = time.Since(began)
		in.out("  ✓ S3 back after %s (%d uploads failed); %d on-failure records so far\n",
			in.outageTook.Round(100*time.Millisecond), in.outageHits.Load(), in.p.Mapping.Stats().OnFailureSent)
	}()
	for in.p.Mapping.Stats().OnFailureSent == before {
		if in.progress() >= 1 {
			return fmt.Errorf("the mapping finished without giving up on a range")
		}
		if err := pause(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return pause(ctx, min(time.Since(began), 30*time.Second))
}

// stopFaults ends every fault: S3 recovers.
func (in *injector) stopFaults() {
	in.mu.Lock()
	timer := in.brownOutTimer
	in.mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	in.endBrownOut()
	in.setOutage(false)
}

// faults is what was injected, from the proxy's log and the injector's own counts.
func (in *injector) faults() Faults {
	in.mu.Lock()
	f := Faults{OutageRequests: int(in.outageHits.Load()), Outage: in.outageTook, BrownOut: in.brownOutTook,
		Killed: in.killed, Frozen: in.frozen}
	in.mu.Unlock()
	for _, e := range in.p.Faults.Requests() {
		switch {
		case !e.Injected:
		case e.Fault == faultproxy.CloseConnection:
			f.S3Resets++
		default:
			f.S3Errors++
		}
	}
	f.S3Errors -= f.OutageRequests // the outage's failures are InternalErrors too
	return f
}

// pause waits d, or returns ctx's error.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
