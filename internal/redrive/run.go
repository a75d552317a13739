package redrive

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// source is where the on-failure records come from: the SQS queue (queueSource) or S3 objects (bucketSource).
// The run loop, the reading of records and their reprocessing are the same for both; a source says what its
// items are, how to read one, and what becomes of it once its records are durable.
type source interface {
	// noun names an item in reports: "message" or "object".
	noun() string
	// start begins a run, after logging the source's state; finish ends it, with ctx not cancelled, and makes
	// whatever the run still holds available again.
	start(ctx context.Context)
	finish(ctx context.Context) error
	// fetch returns up to n items not handed out before in this run; none, without an error, means that nothing
	// is left for this run.
	fetch(ctx context.Context, n int) ([]*item, error)
	// open reads an item's on-failure record into o and returns the records' source and a reader of them, or,
	// when the item cannot be redriven, a nil reader with o.Verdict and o.Reason set.
	open(ctx context.Context, it *item, o *Outcome) (kinesisevent.Source, recordReader)
	// settle removes an item whose records are all durably handled (deletes it, or tags an object) and returns
	// the verdict: VerdictDeleted or VerdictTagged, or the kept verdict with an error saying why.
	settle(ctx context.Context, it *item) (Verdict, error)
}

// item is one on-failure record's container: a queue message or an S3 object.
type item struct {
	id     string // message ID or object key
	handle any    // the source's own: the message, or the object's details
}

// recordReader yields the records of one on-failure record: read back from the stream (rangeReader), or from
// the record's payload (payloadReader).
type recordReader interface {
	// next returns the next records, in order, possibly none; an error stops the reading.
	next(ctx context.Context) ([]kinesisevent.Record, error)
	// finished reports that there is nothing more to read.
	finished() bool
	// missing says what of the range was not found, or "" when it was read whole.
	missing() string
	// readingNotes tells how the reading went when it was not straightforward.
	readingNotes() []string
	// spansRange reports that the records read run from startSequenceNumber to endSequenceNumber of the
	// shard, others than the discarded ones included (see the batchSize warning in handle).
	spansRange() bool
}

// Run drains the source: it takes items until none is left (or MaxMessages were taken, or ctx ends),
// redrives up to Concurrency of them at once, and returns what it did. Kept messages are made visible again at
// the end, as are all messages of a dry run; kept objects are left as they are. The error is for the run as a
// whole (the source could not be read); per-item problems are in the Summary.
func (r *Redriver) Run(ctx context.Context) (Summary, error) {
	sum := Summary{DryRun: r.opts.DryRun, Objects: r.src.noun() == nounObject, Tag: r.opts.Tag}
	r.src.start(ctx)
	var mu sync.Mutex
	runErr := r.drain(ctx, func(o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		sum.add(o)
	})
	sum.Interrupted = ctx.Err() != nil
	if err := r.src.finish(context.WithoutCancel(ctx)); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return sum, runErr
}

// drain takes items and redrives them until the source has nothing left for this run, MaxMessages were taken
// or ctx ends, and returns once every redrive has ended, with the error of a failed fetch. Redrives run in a
// group of Concurrency places, taken before each fetch: a fetch asks for as many items as there are free places
// (up to 10), so that no item taken waits for one (a received message would wait hidden, on the queue's clock).
func (r *Redriver) drain(ctx context.Context, done func(Outcome)) error {
	var g errgroup.Group
	g.SetLimit(r.opts.Concurrency)
	defer g.Wait() // its goroutines return no error: each outcome goes to done
	// An object an earlier run redrove (and tagged) is skipped, and gives its place in MaxMessages back: otherwise
	// each run after a first one with MaxMessages N would stop at the N objects that run tagged.
	var skipped atomic.Int64
	redrive := func(it *item) {
		o := r.redrive(ctx, it)
		if o.Verdict == VerdictAlreadyRedriven {
			skipped.Add(1)
		}
		done(o)
	}
	for started := 0; ; {
		limit := maxFetch
		if maxItems := r.opts.MaxMessages; maxItems > 0 {
			counted := started - int(skipped.Load())
			if counted >= maxItems {
				g.Wait() // the items still being redriven may turn out to be skipped
				if counted = started - int(skipped.Load()); counted >= maxItems {
					return nil
				}
			}
			limit = min(limit, maxItems-counted)
		}
		places := takePlaces(&g, limit, redrive)
		var items []*item
		err := ctx.Err()
		if err == nil {
			items, err = r.src.fetch(ctx, len(places))
		}
		for i, p := range places { // hand each item a place; the other places end
			if i < len(items) {
				started++
				p <- items[i]
			}
			close(p)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			return err
		case err != nil || len(items) == 0:
			return nil // interrupted, or nothing left for this run
		}
	}
}

// maxFetch is the most items one fetch takes: what one ReceiveMessage call returns.
const maxFetch = 10

// place is a place in the redrive group, taken before a fetch: its goroutine redrives the item it is handed,
// or ends when the channel is closed without one.
type place chan *item

// takePlaces waits for a free place in g, then takes as many more as are free, up to n in all.
func takePlaces(g *errgroup.Group, n int, redrive func(*item)) []place {
	run := func(p place) func() error {
		return func() error {
			if it, ok := <-p; ok {
				redrive(it)
			}
			return nil
		}
	}
	first := make(place, 1)
	g.Go(run(first))
	places := []place{first}
	for len(places) < n {
		p := make(place, 1)
		if !g.TryGo(run(p)) {
			break
		}
		places = append(places, p)
	}
	return places
}

// redrive handles one item and reports its outcome.
func (r *Redriver) redrive(ctx context.Context, it *item) Outcome {
	o := r.handle(ctx, it)
	if ctx.Err() != nil && o.Verdict.Kept() {
		o.Reason = "interrupted: " + o.Reason
	}
	r.report(o)
	return o
}

// report prints one item's outcome.
func (r *Redriver) report(o Outcome) {
	line := fmt.Sprintf("%s: %s %s%s", o.Verdict, r.src.noun(), o.MessageID, o.rangeText())
	if o.ShardID != "" {
		line += fmt.Sprintf(": %d records", o.Records)
		if !r.opts.DryRun {
			line += fmt.Sprintf(", %d reprocessed", o.Reprocessed)
		}
		if age := o.ageText(time.Now()); age != "" {
			line += "; " + age
		}
	}
	if o.Reason != "" {
		line += ": " + o.Reason
	}
	r.logf("%s", line)
	for _, w := range o.Warnings {
		r.logf("  note: %s", w)
	}
	if o.Verdict.Kept() || o.Retention <= 0 || o.Oldest.IsZero() {
		return
	}
	if left := o.Retention - time.Since(o.Oldest); left < time.Hour {
		r.logf("  WARNING: the oldest record leaves the stream in %s", human(left))
	}
}
