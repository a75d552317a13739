package redrive

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

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
