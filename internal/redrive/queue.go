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

// maxReceiveVisibility caps the visibility timeout a receive asks for; fetch extends each message it takes to the
// run's VisibilityTimeout at once. A receive attempt that failed may still have taken messages (SQS hid them,
// but the answer was lost): they come back after this, not after a VisibilityTimeout of up to 12 hours, and
// fetch keeps receiving until then rather than take an empty answer for an empty queue.
const maxReceiveVisibility = 20 * time.Second

// receiveAttempts bounds the attempts of one receive (the SDK's default). Receives are retried here, not by
// the SDK, so that fetch knows an attempt failed.
const receiveAttempts = 3

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
}

func newQueueSource(r *Redriver) *queueSource {
	return &queueSource{r: r, h: newHolder(r), seen: map[string]bool{}}
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
		msgs, err := s.receive(ctx, n)
		var items []*item
		s.extend(ctx, msgs)
		for _, m := range s.r.fresh(msgs, s.seen, s.h) {
			s.h.hold(m)
			items = append(items, &item{id: aws.ToString(m.MessageId), handle: m})
		}
		switch {
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

// receive takes up to n messages, retrying a failed attempt as the SDK would (its own retries are off for this
// call): an attempt can fail after SQS took messages, and hiddenUntil records how long they may stay hidden.
func (s *queueSource) receive(ctx context.Context, n int) ([]types.Message, error) {
	retryer := retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = receiveAttempts })
	for attempt := 1; ; attempt++ {
		msgs, err := s.r.receive(ctx, n)
		if err == nil || ctx.Err() != nil {
			return msgs, err
		}
		// SQS started the messages' visibility timeout before the attempt failed; a second more allows for
		// the two clocks.
		s.hiddenUntil = time.Now().Add(s.r.receiveVisibility() + time.Second)
		if attempt == receiveAttempts || !retryer.IsErrorRetryable(err) {
			return nil, err
		}
		delay, derr := retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, err
		}
		s.r.logf("receive attempt %d failed, retrying in %s: %v", attempt, delay.Round(time.Millisecond), err)
		if !pause(ctx, delay) {
			return nil, ctx.Err()
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

// extend sets the visibility of messages just received to the run's VisibilityTimeout (they were received with
// at most maxReceiveVisibility). One that fails comes back early; fresh then holds it with its new receipt handle.
func (s *queueSource) extend(ctx context.Context, msgs []types.Message) {
	vis := s.r.opts.VisibilityTimeout
	if vis <= s.r.receiveVisibility() {
		return
	}
	var g errgroup.Group
	for _, m := range msgs {
		g.Go(func() error {
			if err := s.r.setVisibility(ctx, aws.ToString(m.ReceiptHandle), vis); err != nil && ctx.Err() == nil {
				s.r.logf("WARNING: could not extend the visibility of message %s: %v", aws.ToString(m.MessageId), err)
			}
			return nil
		})
	}
	g.Wait()
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
// or someone else released it) is not taken twice: it is held with its newest receipt handle, which its redrive,
// if still under way, deletes it with, or which makes it visible again at the end.
func (r *Redriver) fresh(msgs []types.Message, seen map[string]bool, h *holder) []types.Message {
	var fresh []types.Message
	for _, m := range msgs {
		id := aws.ToString(m.MessageId)
		if seen[id] {
			r.logf("message %s was received again (its visibility lapsed); this run does not take it twice", id)
			h.hold(m)
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
	}, func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
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
