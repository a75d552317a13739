package redrive

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

// twelveHourQueue is the fake queue with SQS's limit on a received message's visibility: 12 hours from the
// ReceiveMessage, extensions included. ChangeMessageVisibility that would hide a message past that is refused
// ("Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"), so 43200 s is only accepted
// by the receive itself. It records until when each message is hidden.
type twelveHourQueue struct {
	*awsfake.Queue
	mu       sync.Mutex
	received map[string]time.Time // receipt handle → when its receive was served
	ids      map[string]string    // receipt handle → message ID
	hidden   map[string]time.Time // message ID → when it is visible again
}

func newTwelveHourQueue(q *awsfake.Queue) *twelveHourQueue {
	return &twelveHourQueue{Queue: q, received: map[string]time.Time{}, ids: map[string]string{}, hidden: map[string]time.Time{}}
}

func (q *twelveHourQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out, err := q.Queue.ReceiveMessage(ctx, in, o...)
	if err != nil {
		return out, err
	}
	now := time.Now()
	for _, m := range out.Messages {
		rh, id := aws.ToString(m.ReceiptHandle), aws.ToString(m.MessageId)
		q.received[rh], q.ids[rh] = now, id
		q.hidden[id] = now.Add(time.Duration(in.VisibilityTimeout) * time.Second)
	}
	return out, nil
}

func (q *twelveHourQueue) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, o ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	rh, vis := aws.ToString(in.ReceiptHandle), time.Duration(in.VisibilityTimeout)*time.Second
	if at, ok := q.received[rh]; ok && vis > 0 && time.Since(at)+vis > 12*time.Hour {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: fmt.Sprintf("Value %d for parameter "+
			"VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds].",
			in.VisibilityTimeout)}
	}
	out, err := q.Queue.ChangeMessageVisibility(ctx, in, o...)
	if err == nil {
		q.hidden[q.ids[rh]] = time.Now().Add(vis)
	}
	return out, err
}

func (q *twelveHourQueue) hiddenFor(id string) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return time.Until(q.hidden[id])
}

// -visibility-timeout 12h is accepted (3s–12h), and before receives were capped at 20 s a message was received
// hidden for 12 hours. Now it is received for 20 s and extended to 12 h a moment later, which SQS refuses: the
// extension fails for every message, each one is visible again 20 s after it was received while it is still
// being redriven (the holder's next extension is 4 hours away), and the run warns once per message.
func TestTwelveHourVisibilityTimeoutHidesMessagesWhileRedriven(t *testing.T) {
	h := newHarness()
	all := seqs(1, 2)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[1], 2))
	q := newTwelveHourQueue(h.q)
	var hiddenFor time.Duration
	rp := reprocessorFunc(func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
		hiddenFor = q.hiddenFor("msg-001")
		return Result{Handled: len(recs)}, nil
	})
	r, err := New(q, h.k, rp, Options{QueueURL: testQueueURL, VisibilityTimeout: 12 * time.Hour, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil || sum.Deleted != 1 {
		t.Fatalf("Run: %d deleted, error %v\nlog:\n%s", sum.Deleted, err, h.log.String())
	}
	if hiddenFor < time.Hour {
		t.Errorf("while it was redriven, msg-001 was hidden for only %s more; want about the 12 h visibility timeout", hiddenFor.Round(time.Second))
	}
	if log := h.log.String(); strings.Contains(log, "could not extend") {
		t.Errorf("the run could not extend a message it had just received:\n%s", log)
	}
}
