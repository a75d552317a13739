package redrive

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

// relapsingQueue is the fake queue, except that before every receive but the first the visibility of the first
// message it handed out lapses, so that each receive brings that message back (an extension that keeps failing).
// After receive number last it closes done.
type relapsingQueue struct {
	*awsfake.Queue
	last int
	done chan struct{}

	mu       sync.Mutex
	receives int
	first    *string // the newest receipt handle of the first message
	firstID  string
}

func (q *relapsingQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.receives++
	if q.receives > 1 {
		if _, err := q.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: in.QueueUrl,
			ReceiptHandle: q.first, VisibilityTimeout: 0}); err != nil {
			return nil, err
		}
	}
	out, err := q.Queue.ReceiveMessage(ctx, in, o...)
	for _, m := range out.Messages {
		if q.first == nil || *m.MessageId == q.firstID {
			q.first, q.firstID = m.ReceiptHandle, *m.MessageId
		}
	}
	if q.receives == q.last {
		close(q.done)
	}
	return out, err
}

// A run whose receives keep bringing back only a message it is still working on gives up after
// maxSeenOnlyReceives of them in a row, and says that it stopped incomplete: a message it never received is
// still on the queue, and Run's error (the CLI's exit status) says so rather than "nothing left".
func TestRedriveStopsIncompleteWhenReceivesBringOnlySeenMessages(t *testing.T) {
	h := newHarness()
	all := seqs(1, 6)
	h.k.put(shard0, all...)
	for i := range 3 {
		h.q.Send(onFailureBody(shard0, all[2*i], all[2*i+1], 2))
	}
	// Receive 1 takes messages 1 and 2; every later one brings message 1 back, while it is still redriven.
	q := &relapsingQueue{Queue: h.q, last: 1 + maxSeenOnlyReceives, done: make(chan struct{})}
	rp := reprocessorFunc(func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
		if recs[0].SequenceNumber == all[0] {
			<-q.done
		}
		return Result{Handled: len(recs)}, nil
	})
	r, err := New(q, h.k, rp, Options{QueueURL: testQueueURL, Concurrency: 2, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "INCOMPLETE") {
		t.Errorf("Run error = %v; want the run reported incomplete\nlog:\n%s", err, h.log.String())
	}
	if q.receives != 1+maxSeenOnlyReceives {
		t.Errorf("%d receives; want 1 + %d", q.receives, maxSeenOnlyReceives)
	}
	left, visible := queued(h.q)
	if sum.Messages != 2 || sum.Deleted != 2 || !slices.Equal(left, []string{"msg-003"}) || visible != 1 {
		t.Errorf("summary %d received, %d deleted; left on the queue %v (%d visible); want 2, 2, [msg-003] (visible)",
			sum.Messages, sum.Deleted, left, visible)
	}
}

// lossyQueue is the fake queue, except that its first receive takes the messages (SQS hides them) and then
// fails as a connection closed under the answer would: the SDK's retry of such a receive got the rest of the
// queue, or nothing, while the messages it lost stayed hidden.
type lossyQueue struct {
	*awsfake.Queue
	mu         sync.Mutex
	receives   int
	visibility []int32 // each receive's VisibilityTimeout
}

func (q *lossyQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	q.receives++
	first := q.receives == 1
	q.visibility = append(q.visibility, in.VisibilityTimeout)
	q.mu.Unlock()
	out, err := q.Queue.ReceiveMessage(ctx, in, o...)
	if first && err == nil {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	}
	return out, err
}

// Messages a failed receive attempt took are hidden, not gone: the run goes on receiving until their
// visibility lapses and redrives them, rather than end at the first empty answer with the queue still full.
func TestRedriveTakesTheMessagesAFailedReceiveHid(t *testing.T) {
	h := newHarness()
	all := seqs(1, 6)
	h.k.put(shard0, all...)
	for i := range 3 {
		h.q.Send(onFailureBody(shard0, all[2*i], all[2*i+1], 2))
	}
	q := &lossyQueue{Queue: h.q}
	r, err := New(q, h.k, h.rp, Options{QueueURL: testQueueURL, VisibilityTimeout: 3 * time.Second, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil || sum.Messages != 3 || sum.Deleted != 3 {
		t.Errorf("Run: %d received, %d deleted, error %v; want 3, 3, nil\nlog:\n%s", sum.Messages, sum.Deleted, err, h.log.String())
	}
	if left, _ := queued(h.q); len(left) != 0 {
		t.Errorf("left on the queue: %v", left)
	}
	if log := h.log.String(); !strings.Contains(log, "receive attempt 1 failed, retrying") ||
		!strings.Contains(log, "a failed receive attempt may have taken messages") {
		t.Errorf("the log does not say why the run waited:\n%s", log)
	}
}

// A receive asks for a short visibility timeout, so that what a lost answer hid comes back soon, and each
// message taken is extended to the run's VisibilityTimeout at once.
func TestReceivedMessagesAreExtendedToTheVisibilityTimeout(t *testing.T) {
	h := newHarness()
	all := seqs(1, 2)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[1], 2))
	q := &lossyQueue{Queue: h.q, receives: 1} // no failure
	r, err := New(q, h.k, h.rp, Options{QueueURL: testQueueURL, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := r.Run(context.Background()); err != nil || sum.Deleted != 1 {
		t.Fatalf("Run: %d deleted, error %v\nlog:\n%s", sum.Deleted, err, h.log.String())
	}
	if want := int32(maxReceiveVisibility / time.Second); q.visibility[0] != want {
		t.Errorf("receives asked for visibility timeouts %v; want %d", q.visibility, want)
	}
	if ext := h.q.Log.Prefixed("visibility msg-001"); !slices.Equal(ext, []string{"visibility msg-001 60"}) {
		t.Errorf("visibility changes %q; want msg-001 extended to 60 s once", ext)
	}
}

// The README tells the operator how long a lost receive can hide messages.
func TestReadmeNamesTheReceiveVisibility(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("each receive asks for a %d-second visibility timeout", maxReceiveVisibility/time.Second); !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("README.md does not say %q", want)
	}
}
