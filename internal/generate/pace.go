package generate

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// pacer paces records to a steady rate with golang.org/x/time/rate's token bucket, read on the run's clock
// (Config.Now) so that tests can drive it.
//
// A reservation may take the bucket below empty; the caller then waits until the debt is paid. Because the wait
// is computed from the bucket rather than slept per record, oversleeping is made up on the next records, as far
// as the burst allows.
type pacer struct {
	limiter *rate.Limiter
	now     func() time.Time
}

// newPacer returns a full bucket for perSecond records a second. Its burst is 10 ms worth of records (at least
// one): enough to absorb timer oversleep, too little for a visible burst.
func newPacer(perSecond float64, now func() time.Time) *pacer {
	burst := max(1, int(perSecond/100))
	return &pacer{limiter: rate.NewLimiter(rate.Limit(perSecond), burst), now: now}
}

// delay takes the next record's token and returns how long to wait before making the record.
func (p *pacer) delay() time.Duration {
	now := p.now()
	return p.limiter.ReserveN(now, 1).DelayFrom(now)
}

// wait waits for the next record's turn, or until ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	return sleep(ctx, p.delay())
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
