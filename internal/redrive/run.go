package redrive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"
)

// receiveWait is the long-polling wait of each receive: long enough that SQS asks all its servers, so that
// an empty answer means an empty queue (a short poll may miss messages).
const receiveWait = 1

// releaseTimeout bounds the final ChangeMessageVisibility calls, which run even after an interrupt.
const releaseTimeout = 30 * time.Second

// maxReceive is the most messages one ReceiveMessage call returns.
const maxReceive = 10

// Run drains the queue: it receives messages until the queue has no visible message left (or MaxMessages
// were received, or ctx ends), redrives up to Concurrency of them at once, and returns what it did. Kept
// messages are made visible again at the end, as are all messages of a dry run. The error is for the run as
// a whole (the queue could not be read); per-message problems are in the Summary.
func (r *Redriver) Run(ctx context.Context) (Summary, error) {
	sum := Summary{DryRun: r.opts.DryRun}
	r.logQueue(ctx)

	h := newHolder(r)
	hctx, stopHolder := context.WithCancel(context.WithoutCancel(ctx))
	holderDone := make(chan struct{})
	go func() { defer close(holderDone); h.extendLoop(hctx) }()

	var mu sync.Mutex
	runErr := r.drain(ctx, h, func(o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		sum.add(o)
	})
	stopHolder()
	<-holderDone
	sum.Interrupted = ctx.Err() != nil
	if err := h.releaseAll(context.WithoutCancel(ctx)); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return sum, runErr
}

// drain receives and redrives messages until the queue has nothing visible left for this run, MaxMessages
// were received or ctx ends, and returns once every redrive has ended, with the error of a failed receive.
// Redrives run in a group of Concurrency places, taken before each receive: a receive asks for as many
// messages as there are free places (up to 10), so that no received message waits, hidden, for one.
func (r *Redriver) drain(ctx context.Context, h *holder, done func(Outcome)) error {
	var g errgroup.Group
	g.SetLimit(r.opts.Concurrency)
	defer g.Wait() // its goroutines return no error: each outcome goes to done
	redrive := func(m types.Message) { done(r.redrive(ctx, m, h)) }
	seen := map[string]bool{}
	for started := 0; r.opts.MaxMessages == 0 || started < r.opts.MaxMessages; {
		limit := maxReceive
		if r.opts.MaxMessages > 0 {
			limit = min(limit, r.opts.MaxMessages-started)
		}
		places := takePlaces(&g, limit, redrive)
		var msgs []types.Message
		err := ctx.Err()
		if err == nil {
			msgs, err = r.receive(ctx, len(places))
		}
		fresh := r.fresh(msgs, seen, h)
		for i, p := range places { // hand each fresh message a place; the other places end
			if i < len(fresh) {
				started++
				h.hold(fresh[i])
				p <- fresh[i]
			}
			close(p)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			return fmt.Errorf("receive from %s: %w", r.opts.QueueURL, err)
		case err != nil || len(fresh) == 0:
			return nil // interrupted, or the queue has nothing visible left for this run
		}
	}
	return nil
}

// place is a place in the redrive group, taken before a receive: its goroutine redrives the message it is
// handed, or ends when the channel is closed without one.
type place chan types.Message

// takePlaces waits for a free place in g, then takes as many more as are free, up to n in all.
func takePlaces(g *errgroup.Group, n int, redrive func(types.Message)) []place {
	run := func(p place) func() error {
		return func() error {
			if m, ok := <-p; ok {
				redrive(m)
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

// fresh returns the messages not received before in this run. A message back again (its visibility ran out,
// or someone else released it) is left for a later run: it is held with its newest receipt handle, to be
// made visible again at the end.
func (r *Redriver) fresh(msgs []types.Message, seen map[string]bool, h *holder) []types.Message {
	var fresh []types.Message
	for _, m := range msgs {
		id := aws.ToString(m.MessageId)
		if seen[id] {
			r.logf("message %s was received a second time; it is left for a later run", id)
			h.hold(m)
			continue
		}
		seen[id] = true
		fresh = append(fresh, m)
	}
	return fresh
}

// redrive handles one message and reports its outcome.
func (r *Redriver) redrive(ctx context.Context, m types.Message, h *holder) Outcome {
	o := r.handle(ctx, m, h)
	if ctx.Err() != nil && o.Verdict != VerdictDeleted && o.Verdict != VerdictWouldRedrive {
		o.Reason = "interrupted: " + o.Reason
	}
	r.report(o)
	return o
}

func (r *Redriver) receive(ctx context.Context, n int) ([]types.Message, error) {
	out, err := r.q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(r.opts.QueueURL),
		MaxNumberOfMessages: int32(n),
		WaitTimeSeconds:     receiveWait,
		VisibilityTimeout:   int32(r.opts.VisibilityTimeout / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount,
		},
	})
	if err != nil {
		return nil, err
	}
	return out.Messages, nil
}

// logQueue reports the queue's depth before the run, and warns about messages in flight elsewhere, which
// this run cannot see.
func (r *Redriver) logQueue(ctx context.Context) {
	out, err := r.q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(r.opts.QueueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		r.logf("queue %s: depth unknown: %v", r.opts.QueueURL, err)
		return
	}
	visible := out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)]
	hidden := out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]
	r.logf("queue %s: about %s messages visible, %s in flight", r.opts.QueueURL, visible, hidden)
	if n, _ := strconv.Atoi(hidden); n > 0 {
		r.logf("WARNING: %d messages are in flight (another consumer or redrive holds them, or a run was just "+
			"stopped): this run cannot see them until their visibility timeout ends", n)
	}
}

// report prints one message's outcome.
func (r *Redriver) report(o Outcome) {
	line := fmt.Sprintf("%s: message %s%s", o.Verdict, o.MessageID, o.rangeText())
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

// holder keeps the messages being redriven hidden: it extends their visibility timeout every third of it,
// and at the end makes the kept ones visible again.
type holder struct {
	r    *Redriver
	mu   sync.Mutex
	held map[string]string // message ID → receipt handle
}

func newHolder(r *Redriver) *holder { return &holder{r: r, held: map[string]string{}} }

func (h *holder) hold(m types.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held[aws.ToString(m.MessageId)] = aws.ToString(m.ReceiptHandle)
}

// extendLoop extends the visibility of every held message until ctx ends.
func (h *holder) extendLoop(ctx context.Context) {
	vis := h.r.opts.VisibilityTimeout
	t := time.NewTicker(vis / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		held := make(map[string]string, len(h.held))
		for id, rh := range h.held {
			held[id] = rh
		}
		h.mu.Unlock()
		for id, rh := range held {
			if err := h.r.setVisibility(ctx, rh, vis); err != nil && ctx.Err() == nil && h.holds(id) {
				h.r.logf("WARNING: could not extend the visibility of message %s: %v", id, err)
			}
		}
	}
}

// delete deletes a message whose range is durably handled. It stops holding it first, so that later rounds of
// extendLoop leave it alone; one already under way works from a copy and may still extend it, and fail on the
// deleted message: holds then tells it not to warn. If the deletion fails the message is held again.
func (h *holder) delete(ctx context.Context, m types.Message) error {
	id := aws.ToString(m.MessageId)
	h.mu.Lock()
	receipt, ok := h.held[id] // the newest receipt handle: SQS may ignore an older one
	if !ok {
		receipt = aws.ToString(m.ReceiptHandle)
	}
	delete(h.held, id)
	h.mu.Unlock()
	_, err := h.r.q.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{
		QueueUrl: aws.String(h.r.opts.QueueURL), ReceiptHandle: aws.String(receipt),
	})
	if err != nil {
		h.mu.Lock()
		h.held[id] = receipt
		h.mu.Unlock()
		return fmt.Errorf("every record is durably handled, but deleting the message failed: %w", err)
	}
	return nil
}

// holds reports whether the message is still held.
func (h *holder) holds(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.held[id]
	return ok
}

// releaseAll makes every message still held visible again.
func (h *holder) releaseAll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for id, rh := range h.held {
		if err := h.r.setVisibility(ctx, rh, 0); err != nil {
			errs = append(errs, fmt.Errorf("message %s stays hidden until its visibility timeout (%s) ends: %w",
				id, h.r.opts.VisibilityTimeout, err))
		}
		delete(h.held, id)
	}
	return errors.Join(errs...)
}

func (r *Redriver) setVisibility(ctx context.Context, receipt string, d time.Duration) error {
	_, err := r.q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(r.opts.QueueURL),
		ReceiptHandle:     aws.String(receipt),
		VisibilityTimeout: int32(d / time.Second),
	})
	return err
}
