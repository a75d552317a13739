package redrive

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

// downQueue is the fake queue whose every receive takes the messages (SQS hides them) and then fails as a
// connection closed under the answer would.
type downQueue struct {
	*awsfake.Queue
	mu       sync.Mutex
	receives int
}

func (q *downQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, o ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	q.receives++
	q.mu.Unlock()
	if _, err := q.Queue.ReceiveMessage(ctx, in, o...); err != nil {
		return nil, err
	}
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
}

// When every attempt of a receive fails, the run ends with the error, and what the first attempt took stays
// hidden for the receive's visibility timeout. The operator's next step is to rerun; a rerun within those
// seconds receives nothing, and ends with "0 received" and exit status 0 (only a start-of-run note counts
// messages "in flight"). The run knows until when they are hidden (hiddenUntil) but does not say: its error
// should, so that the rerun waits for them. README: "the messages it took are not missed".
func TestReceiveThatGivesUpSaysWhatItLeftHidden(t *testing.T) {
	h := newHarness()
	all := seqs(1, 2)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[1], 2))
	q := &downQueue{Queue: h.q}
	r, err := New(q, h.k, h.rp, Options{QueueURL: testQueueURL, VisibilityTimeout: 5 * time.Second, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background())
	if err == nil {
		t.Fatalf("Run succeeded; want the receive's error\nlog:\n%s", h.log.String())
	}
	if _, visible := queued(h.q); visible != 0 {
		t.Fatalf("%d messages visible; the first attempt should have hidden the only one", visible)
	}
	if !strings.Contains(err.Error(), "hidden") {
		t.Errorf("Run error does not say that messages may be hidden, nor until when:\n%v\nlog:\n%s", err, h.log.String())
	}
}
