package generate

import (
	"context"
	"sync"
	"time"
)

// Bucket is a token bucket that paces records to a steady rate. It is written here rather than taken from
// golang.org/x/time/rate to keep the module's dependencies as they are and because it is small: one reservation
// method whose arithmetic the tests check against an injected clock.
//
// Reservations may drive the balance negative; the caller then waits until it is paid back. Because the wait is
// computed from the balance rather than slept per token, oversleeping is made up on the next reservations, up to
// the burst.
type Bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

// NewBucket returns a full bucket refilled at rate tokens per second, holding at most burst tokens. now is the
// clock (time.Now outside tests).
func NewBucket(rate, burst float64, now func() time.Time) *Bucket {
	if burst < 1 {
		burst = 1
	}
	return &Bucket{rate: rate, burst: burst, tokens: burst, last: now(), now: now}
}

// Reserve takes n tokens and returns how long the caller must wait before using them.
func (b *Bucket) Reserve(n float64) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	b.tokens -= n
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// Wait takes one token, sleeping until it is due or ctx is done.
func (b *Bucket) Wait(ctx context.Context) error {
	return sleep(ctx, b.Reserve(1))
}

// sleep waits for d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
