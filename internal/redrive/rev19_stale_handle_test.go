package redrive

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

// againQueue is the fake queue, except that msg-001's visibility lapses before the second receive, which
// therefore brings it back with a new receipt handle while it is still being redriven. The extension of that
// new handle (a ChangeMessageVisibility with a timeout) closes extending, then waits until a DeleteMessage has
// been served (or a few seconds), as a slow extension call would.
type againQueue struct {
	*awsfake.Queue
	extending, deleted chan struct{}

	mu       sync.Mutex
	receives int
	first    string // msg-001's first receipt handle
	second   string // its receipt handle from the second receive
	extended bool
}

func (q *againQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.receives++
	if q.receives == 2 {
		if _, err := q.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: in.QueueUrl,
			ReceiptHandle: aws.String(q.first), VisibilityTimeout: 0}); err != nil {
			return nil, err
		}
	}
	out, err := q.Queue.ReceiveMessage(ctx, in, o...)
	if err != nil {
		return out, err
	}
	for _, m := range out.Messages {
		if aws.ToString(m.MessageId) != "msg-001" {
			continue
		}
		switch q.receives {
		case 1:
			q.first = aws.ToString(m.ReceiptHandle)
		case 2:
			q.second = aws.ToString(m.ReceiptHandle)
		}
	}
	return out, nil
}

func (q *againQueue) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, o ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.mu.Lock()
	slow := q.second != "" && aws.ToString(in.ReceiptHandle) == q.second && in.VisibilityTimeout > 0 && !q.extended
	if slow {
		q.extended = true
	}
	q.mu.Unlock()
	if slow {
		close(q.extending)
		select {
		case <-q.deleted:
		case <-time.After(3 * time.Second):
		}
	}
	return q.Queue.ChangeMessageVisibility(ctx, in, o...)
}

func (q *againQueue) DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, o ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	out, err := q.Queue.DeleteMessage(ctx, in, o...)
	select {
	case <-q.deleted:
	default:
		close(q.deleted)
	}
	return out, err
}

// A message received again while it is still redriven must be deleted with its newest receipt handle: SQS
// ignores an older one ("the request succeeds, but the message might not be deleted"; the fake refuses it).
// fetch now extends the messages a receive brought before fresh holds the new handle, so a redrive that ends
// during that ChangeMessageVisibility call deletes with the old handle: the fake reports "KEPT: delete failed";
// real SQS reports success, the run says "deleted", and the message is left on the queue (fresh holds it again
// afterwards, and the end of the run makes it visible).
func TestMessageReceivedAgainIsDeletedWithItsNewHandle(t *testing.T) {
	h := newHarness()
	all := seqs(1, 2)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[1], 2))
	q := &againQueue{Queue: h.q, extending: make(chan struct{}), deleted: make(chan struct{})}
	rp := reprocessorFunc(func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
		select { // finish while the new receipt handle is being extended
		case <-q.extending:
		case <-time.After(3 * time.Second):
		}
		return Result{Handled: len(recs)}, nil
	})
	r, err := New(q, h.k, rp, Options{QueueURL: testQueueURL, Concurrency: 2, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil || sum.Deleted != 1 || sum.Kept != 0 {
		t.Errorf("Run: %d deleted, %d kept, error %v; want 1, 0, nil\nlog:\n%s", sum.Deleted, sum.Kept, err, h.log.String())
	}
	if left, _ := queued(h.q); len(left) != 0 {
		t.Errorf("left on the queue: %v\nqueue calls: %s", left, strings.Join(h.q.Log.Calls(), ", "))
	}
}
