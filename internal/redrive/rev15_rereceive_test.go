package redrive

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

// lapsingQueue is the fake queue, except that before its second receive the visibility of the first message it
// handed out lapses (SQS redelivers it: at-least-once delivery, or an extension that failed), and then signals.
type lapsingQueue struct {
	*awsfake.Queue
	mu       sync.Mutex
	receives int
	first    *string // receipt handle of the first message received
	lapsed   chan struct{}
}

func (q *lapsingQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	q.receives++
	n := q.receives
	q.mu.Unlock()
	if n == 2 {
		if _, err := q.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: in.QueueUrl,
			ReceiptHandle: q.first, VisibilityTimeout: 0}); err != nil {
			panic(err)
		}
	}
	out, err := q.Queue.ReceiveMessage(ctx, in, o...)
	if n == 1 && err == nil && len(out.Messages) > 0 {
		q.first = out.Messages[0].ReceiptHandle
	}
	if n == 2 {
		close(q.lapsed)
	}
	return out, err
}

// fetch's contract is "none, without an error, means that nothing is left for this run", and drain stops on an
// empty fetch. queueSource.fetch also returns none when the receive brought only a message already seen in this run
// (fresh filters it out): the run then stops while messages it never looked at are still on the queue, and reports
// success — "2 received, 2 redriven, 2 deleted, 0 kept", exit status 0 — to an operator told that this summary and
// exit status 0 mean the queue is drained.
func TestRev15RedriveDoesNotStopWhenAReceiveBringsOnlyAMessageSeenBefore(t *testing.T) {
	h := newHarness()
	all := seqs(1, 8)
	h.k.put(shard0, all...)
	for i := range 4 {
		h.q.Send(onFailureBody(shard0, all[2*i], all[2*i+1], 2))
	}
	q := &lapsingQueue{Queue: h.q, lapsed: make(chan struct{})}
	first := true
	var mu sync.Mutex
	rp := reprocessorFunc(func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
		mu.Lock()
		slow := first && recs[0].SequenceNumber == all[0]
		first = first && !slow
		mu.Unlock()
		if slow { // the first message is still being worked on when SQS hands it out again
			<-q.lapsed
		}
		return Result{Handled: len(recs)}, nil
	})
	r, err := New(q, h.k, rp, Options{QueueURL: testQueueURL, Concurrency: 2, Retries: 1, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	left, _ := queued(h.q)
	if len(left) != 0 || sum.Messages != 4 {
		t.Errorf("the run ended with %d messages it never received still on the queue (summary: %d received, %d deleted, %d kept; "+
			"an operator gets exit status 0)\nlog:\n%s", len(left), sum.Messages, sum.Deleted, sum.Kept, h.log.String())
	}
}
