package generate

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a manual clock for the bucket.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBucketReserve(t *testing.T) {
	clock := &fakeClock{t: fixedNow}
	b := NewBucket(10, 5, clock.now) // 10/s, burst 5, starts full

	for i := range 5 {
		if w := b.Reserve(1); w != 0 {
			t.Fatalf("reservation %d from a full bucket waits %v", i, w)
		}
	}
	// The balance is now 0: each further token is 100ms further out.
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond} {
		if w := b.Reserve(1); w != want {
			t.Fatalf("reservation %d waits %v, want %v", 6+i, w, want)
		}
	}
	// 300ms later the debt of 3 is paid; a second more refills 10 but the bucket holds only 5.
	clock.advance(1300 * time.Millisecond)
	for i := range 5 {
		if w := b.Reserve(1); w != 0 {
			t.Fatalf("after refill, reservation %d waits %v", i, w)
		}
	}
	if w := b.Reserve(1); w != 100*time.Millisecond {
		t.Fatalf("beyond the burst: wait %v, want 100ms", w)
	}
	// Several tokens at once.
	clock.advance(time.Hour)
	if w := b.Reserve(25); w != 2*time.Second {
		t.Fatalf("Reserve(25) from 5 tokens at 10/s waits %v, want 2s", w)
	}
}

// A caller that sleeps every wait, even with some oversleep, keeps the configured average rate.
func TestBucketSteadyRate(t *testing.T) {
	for _, over := range []time.Duration{0, 3 * time.Millisecond} {
		clock := &fakeClock{t: fixedNow}
		const rate = 1000.0
		b := NewBucket(rate, rate/100, clock.now)
		start := clock.t
		const n = 20000
		for range n {
			if w := b.Reserve(1); w > 0 {
				clock.advance(w + over)
			}
		}
		got := n / clock.t.Sub(start).Seconds()
		// n tokens at 1000/s minus the initial burst of 10 take 19.99s; oversleep within the burst is made up.
		if got < rate*0.99 || got > rate*1.01 {
			t.Errorf("oversleep %v: average rate %.1f/s, want %.0f/s", over, got, rate)
		}
	}
}

func TestBucketBurstAtLeastOne(t *testing.T) {
	clock := &fakeClock{t: fixedNow}
	b := NewBucket(0.5, 0, clock.now)
	if w := b.Reserve(1); w != 0 {
		t.Fatalf("first token waits %v", w)
	}
	if w := b.Reserve(1); w != 2*time.Second {
		t.Fatalf("second token at 0.5/s waits %v, want 2s", w)
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
