package redrive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// receiveWait is the long-polling wait of each receive: long enough that SQS asks all its servers, so that
// an empty answer means an empty queue (a short poll may miss messages).
const receiveWait = 1

// maxReceiveVisibility caps the visibility timeout a receive asks for; the holder extends each message it takes
// to the run's VisibilityTimeout at once. A receive attempt that failed may still have taken messages (SQS hid
// them, but the answer was lost): they come back after this, not after a VisibilityTimeout of up to 12 hours,
// and fetch keeps receiving until then rather than take an empty answer for an empty queue.
const maxReceiveVisibility = 20 * time.Second

// maxHidden is the longest SQS hides a received message, counted from the receive, extensions included: it
// refuses a ChangeMessageVisibility that would go past it.
const maxHidden = 12 * time.Hour

// releaseTimeout bounds the final ChangeMessageVisibility calls, which run even after an interrupt.
const releaseTimeout = 30 * time.Second

const nounMessage, nounObject = "message", "object"

// queueSource takes on-failure records from the SQS queue: messages are received with a visibility timeout,
// held hidden while they are redriven, deleted once their range is durable, and made visible again otherwise.
// The records are read back from the stream.
type queueSource struct {
	r      *Redriver
	h      *holder
	seen   map[string]bool // message IDs received in this run
	stop   context.CancelFunc
	holder chan struct{} // closed when the holder's extend loop has ended
	// hiddenUntil is when messages a failed receive attempt may have taken are visible again; until then an
	// empty receive does not end the run.
	hiddenUntil time.Time
	retryer     aws.Retryer // receives' (see receive)
}

func newQueueSource(r *Redriver) *queueSource {
	s := &queueSource{r: r, h: newHolder(r), seen: map[string]bool{}, retryer: retry.NewStandard()}
	// The SQS client's own, with the attempts the operator configured (AWS_MAX_ATTEMPTS, max_attempts).
	if c, ok := r.q.(interface{ Options() sqs.Options }); ok && c.Options().Retryer != nil {
		s.retryer = c.Options().Retryer
	}
	return s
}

func (*queueSource) noun() string { return nounMessage }

func (s *queueSource) start(ctx context.Context) {
	s.r.logQueue(ctx)
	hctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.holder = stop, make(chan struct{})
	go func() { defer close(s.holder); s.h.extendLoop(hctx) }()
}

func (s *queueSource) finish(ctx context.Context) error {
	s.stop()
	<-s.holder
	return s.h.releaseAll(ctx)
}

// maxSeenOnlyReceives is how many receives in a row may bring back only messages this run took before (their
// visibility lapsed while they were worked on) before a fetch gives up. Such a receive says nothing about what
// else is on the queue, so it is never taken as "nothing left"; the bound keeps a run whose visibility
// extensions keep failing from receiving the same messages forever.
const maxSeenOnlyReceives = 5

func (s *queueSource) fetch(ctx context.Context, n int) ([]*item, error) {
	waited := false
	for receives := 1; ; receives++ {
		msgs, began, err := s.receive(ctx, n)
		// Held first, with the new receipt handles, which a redrive under way must delete a message with.
		fresh := s.r.fresh(msgs, s.seen)
		for _, m := range msgs {
			s.h.hold(m, began, s.r.receiveVisibility())
		}
		s.h.extendDue(ctx)
		var items []*item
		for _, m := range fresh {
			items = append(items, &item{id: aws.ToString(m.MessageId), handle: m})
		}
		switch {
		case err != nil && time.Now().Before(s.hiddenUntil):
			return items, fmt.Errorf("receive from %s: %w; messages a failed attempt may have taken stay hidden "+
				"until %s: run redrive again after that", s.r.opts.QueueURL, err, s.hiddenUntil.Format(time.TimeOnly))
		case err != nil:
			return items, fmt.Errorf("receive from %s: %w", s.r.opts.QueueURL, err)
		case len(msgs) == 0 && time.Now().Before(s.hiddenUntil) && ctx.Err() == nil:
			if !waited {
				s.r.logf("the queue looks empty, but a failed receive attempt may have taken messages that stay "+
					"hidden until %s: receiving until then", s.hiddenUntil.Format(time.TimeOnly))
				waited = true
			}
			receives = 0
			pause(ctx, hiddenPoll) // in case the queue answers at once rather than long-poll
		case len(items) > 0 || len(msgs) == 0:
			return items, nil
		case receives == maxSeenOnlyReceives:
			return nil, fmt.Errorf("receive from %s: %d receives in a row brought back only messages this run had "+
				"already taken (their visibility timeout lapsed, or someone made them visible): the run stops INCOMPLETE, "+
				"and the queue may still hold messages it never looked at; run redrive again (a longer "+
				"-visibility-timeout helps if this repeats)", s.r.opts.QueueURL, receives)
		}
	}
}

// receive takes up to n messages, and says when the attempt that took them began. It retries a failed attempt
// itself, with the SQS client's retry settings (its own retries are off for this call), because an attempt can
// fail after SQS took messages: hiddenUntil records until when they may stay hidden.
func (s *queueSource) receive(ctx context.Context, n int) ([]types.Message, time.Time, error) {
	for attempt := 1; ; attempt++ {
		began := time.Now()
		msgs, err := s.r.receive(ctx, n)
		if err == nil || ctx.Err() != nil {
			return msgs, began, err
		}
		if !s.retryer.IsErrorRetryable(err) {
			return nil, began, err // refused (access denied, no such queue): it took nothing
		}
		// SQS may take messages until the attempt's long poll ends, which is at most receiveWait after the client
		// saw it fail.
		s.hiddenUntil = time.Now().Add(s.r.receiveVisibility() + receiveWait*time.Second)
		delay, derr := s.retryer.RetryDelay(attempt, err)
		if attempt >= s.retryer.MaxAttempts() || derr != nil {
			return nil, began, fmt.Errorf("after %d attempts: %w", attempt, err)
		}
		s.r.logf("receive attempt %d failed, retrying in %s: %v", attempt, delay.Round(time.Millisecond), err)
		if !pause(ctx, delay) {
			return nil, began, ctx.Err()
		}
	}
}

// hiddenPoll is the least time between receives while fetch waits for hidden messages.
const hiddenPoll = 200 * time.Millisecond

// pause waits for d, or until ctx ends; it reports whether it waited the whole time.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// open reads the message's on-failure record; its records are read back from the stream.
func (s *queueSource) open(ctx context.Context, it *item, o *Outcome) (kinesisevent.Source, recordReader) {
	msg := it.handle.(types.Message)
	b, err := parseMessage(aws.ToString(msg.Body))
	if err != nil {
		o.Verdict, o.Reason = VerdictUnreadable, err.Error()
		if b.ShardID != "" {
			o.StreamARN, o.ShardID, o.Start, o.End = b.StreamARN, b.ShardID, b.StartSequenceNumber, b.EndSequenceNumber
		}
		return kinesisevent.Source{}, nil
	}
	o.StreamARN, o.ShardID, o.Start, o.End, o.BatchSize = b.StreamARN, b.ShardID, b.StartSequenceNumber, b.EndSequenceNumber, b.BatchSize
	o.Oldest = b.ApproximateArrivalOfFirstRecord
	region, _ := regionOf(b.StreamARN)
	if info := s.r.stream(ctx, b.StreamARN); info.err != nil {
		o.Warnings = append(o.Warnings, "retention unknown: "+info.err.Error())
	} else {
		o.Retention = info.retention
	}
	return kinesisevent.Source{StreamARN: b.StreamARN, Region: region}, newRangeReader(s.r.k, b)
}

func (s *queueSource) settle(ctx context.Context, it *item) (Verdict, error) {
	if err := s.h.delete(ctx, it.handle.(types.Message)); err != nil {
		return VerdictNotDeleted, err
	}
	return VerdictDeleted, nil
}

// fresh returns the messages not received before in this run. A message back again (its visibility ran out,
// or someone else released it) is not taken twice: fetch holds it with its newest receipt handle, which its
// redrive, if still under way, deletes it with, or which makes it visible again at the end.
func (r *Redriver) fresh(msgs []types.Message, seen map[string]bool) []types.Message {
	var fresh []types.Message
	for _, m := range msgs {
		id := aws.ToString(m.MessageId)
		if seen[id] {
			r.logf("message %s was received again (its visibility lapsed); this run does not take it twice", id)
			continue
		}
		seen[id] = true
		fresh = append(fresh, m)
	}
	return fresh
}

// receiveVisibility is the visibility timeout receives ask for.
func (r *Redriver) receiveVisibility() time.Duration {
	return min(r.opts.VisibilityTimeout, maxReceiveVisibility)
}

// receive makes one ReceiveMessage attempt.
func (r *Redriver) receive(ctx context.Context, n int) ([]types.Message, error) {
	out, err := r.q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(r.opts.QueueURL),
		MaxNumberOfMessages: int32(n),
		WaitTimeSeconds:     receiveWait,
		VisibilityTimeout:   int32(r.receiveVisibility() / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount,
		},
	}, func(o *sqs.Options) { o.RetryMaxAttempts = 1 }) // retried by queueSource.receive
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

// holder keeps the messages being redriven hidden: it extends each one's visibility timeout to the run's
// VisibilityTimeout as soon as it is received, and again whenever a third of it has passed; at the end it makes
// the kept ones visible again.
type holder struct {
	r    *Redriver
	mu   sync.Mutex
	held map[string]*held // by message ID
}

// held is a message being redriven.
type held struct {
	receipt  string    // the newest receipt handle
	received time.Time // when the receive that gave it began: SQS hides the message at most maxHidden from then
	until    time.Time // when it is visible again, as far as this run knows
	warned   bool      // an extension failed, and the run said so
}

func newHolder(r *Redriver) *holder { return &holder{r: r, held: map[string]*held{}} }

// hold holds a message just received, by a receive that began at received and hid it for vis.
func (h *holder) hold(m types.Message, received time.Time, vis time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held[aws.ToString(m.MessageId)] = &held{receipt: aws.ToString(m.ReceiptHandle), received: received,
		until: received.Add(vis)}
}

// extendLoop extends the visibility of held messages until ctx ends: every quarter of what a receive asks for,
// those that are due, so that one whose extension failed is tried again long before it is visible.
func (h *holder) extendLoop(ctx context.Context) {
	t := time.NewTicker(h.r.receiveVisibility() / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.extendDue(ctx)
	}
}

// extendDue extends to the run's VisibilityTimeout every held message with less than two thirds of it left, as
// far as SQS allows (maxHidden).
func (h *holder) extendDue(ctx context.Context) {
	vis, now := h.r.opts.VisibilityTimeout, time.Now()
	type job struct {
		id string
		m  held
	}
	var due []job
	h.mu.Lock()
	for id, m := range h.held {
		if m.until.Sub(now) <= vis*2/3 {
			due = append(due, job{id, *m})
		}
	}
	h.mu.Unlock()
	var g errgroup.Group
	g.SetLimit(maxFetch)
	for _, j := range due {
		// SQS counts whole seconds: a second's margin keeps the total under maxHidden.
		d := min(vis, maxHidden-time.Since(j.m.received)-time.Second)
		if !now.Add(d).After(j.m.until.Add(time.Second)) {
			continue // hidden as long as SQS allows already
		}
		g.Go(func() error {
			err := h.r.setVisibility(ctx, j.m.receipt, d)
			h.mu.Lock()
			defer h.mu.Unlock()
			m, ok := h.held[j.id]
			switch {
			case !ok || m.receipt != j.m.receipt: // deleted, released or received again meanwhile
			case err == nil:
				m.until = now.Add(d)
			case ctx.Err() == nil && !m.warned:
				m.warned = true
				h.r.logf("WARNING: could not extend the visibility of message %s (retrying until it is visible "+
					"again, at %s): %v", j.id, m.until.Format(time.TimeOnly), err)
			}
			return nil
		})
	}
	g.Wait()
}

// delete deletes a message whose range is durably handled. It stops holding it first, so that later rounds of
// extendDue leave it alone; one already under way works from a copy and may still extend it, and fail on the
// deleted message: finding it no longer held, it does not warn. If the deletion fails the message is held again.
func (h *holder) delete(ctx context.Context, m types.Message) error {
	id := aws.ToString(m.MessageId)
	h.mu.Lock()
	receipt := aws.ToString(m.ReceiptHandle)
	hm, ok := h.held[id]
	if ok {
		receipt = hm.receipt // the newest receipt handle: SQS may ignore an older one
	}
	delete(h.held, id)
	h.mu.Unlock()
	_, err := h.r.q.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{
		QueueUrl: aws.String(h.r.opts.QueueURL), ReceiptHandle: aws.String(receipt),
	})
	if err != nil {
		h.mu.Lock()
		if ok {
			h.held[id] = hm
		} else {
			h.held[id] = &held{receipt: receipt}
		}
		h.mu.Unlock()
		return fmt.Errorf("every record is durably handled, but deleting the message failed: %w", err)
	}
	return nil
}

// releaseAll makes every message still held visible again.
func (h *holder) releaseAll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for id, m := range h.held {
		if err := h.r.setVisibility(ctx, m.receipt, 0); err != nil {
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
