package generate

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a manual clock for the pacer.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestPacerBurstAndSpacing(t *testing.T) {
	clock := &fakeClock{t: fixedNow}
	p := newPacer(500, clock.now) // 500/s: a record every 2ms, a burst of 5 (10ms worth), starts full

	for i := range 5 {
		if w := p.delay(); w != 0 {
			t.Fatalf("record %d of a full burst waits %v", i, w)
		}
	}
	// The bucket is now empty: each further record is 2ms further out.
	for i, want := range []time.Duration{2 * time.Millisecond, 4 * time.Millisecond, 6 * time.Millisecond} {
		if w := p.delay(); w != want {
			t.Fatalf("record %d waits %v, want %v", 6+i, w, want)
		}
	}
	// 6ms later the debt of 3 is paid; a second more would refill 500, but the bucket holds only 5.
	clock.advance(1006 * time.Millisecond)
	for i := range 5 {
		if w := p.delay(); w != 0 {
			t.Fatalf("after the refill, record %d waits %v", i, w)
		}
	}
	if w := p.delay(); w != 2*time.Millisecond {
		t.Fatalf("beyond the burst: wait %v, want 2ms", w)
	}
}

// A caller that sleeps every wait, even with some oversleep, keeps the configured average rate: the burst makes
// the oversleep up. With a burst of one record it would not (3ms oversleep at 1000/s would give about 500/s).
func TestPacerSteadyRate(t *testing.T) {
	for _, over := range []time.Duration{0, 3 * time.Millisecond} {
		clock := &fakeClock{t: fixedNow}
		const rate = 1000.0
		p := newPacer(rate, clock.now)
		start := clock.t
		const n = 20000
		for range n {
			if w := p.delay(); w > 0 {
				clock.advance(w + over)
			}
		}
		got := n / clock.t.Sub(start).Seconds()
		// n records at 1000/s less the initial burst of 10 take 19.99s; oversleep within the burst is made up.
		if got < rate*0.99 || got > rate*1.01 {
			t.Errorf("oversleep %v: average rate %.1f/s, want %.0f/s", over, got, rate)
		}
	}
}

func TestPacerBurstAtLeastOne(t *testing.T) {
	clock := &fakeClock{t: fixedNow}
	p := newPacer(0.5, clock.now)
	if w := p.delay(); w != 0 {
		t.Fatalf("first record waits %v", w)
	}
	if w := p.delay(); w != 2*time.Second {
		t.Fatalf("second record at 0.5/s waits %v, want 2s", w)
	}
}

// Run is paced on the real clock. Only the lower bound is asserted: a loaded machine can make a run slower,
// never faster than the limiter allows.
func TestRunNeverExceedsTheRate(t *testing.T) {
	cfg := testConfig(60)
	cfg.Rate = 200 // a burst of 2, then one record every 5ms
	s, err := Run(context.Background(), &fakeKinesis{}, indexGen(t), cfg)
	if err != nil || s.Sent != 60 {
		t.Fatalf("Run = %+v, %v", s, err)
	}
	if least := 58 * 5 * time.Millisecond; s.Elapsed < least-time.Millisecond {
		t.Errorf("60 records at 200/s took %v, less than the %v the rate allows", s.Elapsed, least)
	}
}

func TestSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); err == nil {
		t.Fatal("sleep on a canceled context returned nil")
	}
	if err := sleep(ctx, 0); err == nil {
		t.Fatal("a zero sleep on a canceled context returned nil")
	}
}
