package redrive

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// A message is received for 20 s and extended to -visibility-timeout at once. When that one extension fails
// (the SDK's own attempts all failed: throttling, a network blip), nothing extends the message again until the
// holder's next round, up to a third of -visibility-timeout later: with -visibility-timeout 90s it is visible
// again 20 s after it was received, while it is still being redriven (another run can take it, and this run's
// receives bring it back as "seen", towards INCOMPLETE). Before 753cf3f the receive itself hid it for 90 s, and
// one failed extension left it hidden. Takes about 22 s.
func TestAFailedImmediateExtensionDoesNotExposeTheMessageAfter20s(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits out the 20 s a receive asks for")
	}
	h := newHarness()
	all := seqs(1, 2)
	h.k.put(shard0, all...)
	h.q.Send(onFailureBody(shard0, all[0], all[1], 2))
	h.q.FailNext("ChangeMessageVisibility", &types.RequestThrottled{Message: aws.String("Request is throttled.")})
	visibleWhileRedriven := false
	rp := reprocessorFunc(func(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
		select { // a batch that takes a while, as a slow function's would
		case <-time.After(21500 * time.Millisecond): // past the 20 s a receive asks for
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		for _, m := range h.q.Messages() {
			visibleWhileRedriven = visibleWhileRedriven || m.Visible
		}
		return Result{Handled: len(recs)}, nil
	})
	r, err := New(h.q, h.k, rp, Options{QueueURL: testQueueURL, VisibilityTimeout: 90 * time.Second, Log: &h.log})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Run(context.Background())
	if err != nil || sum.Deleted != 1 {
		t.Fatalf("Run: %d deleted, error %v\nlog:\n%s", sum.Deleted, err, h.log.String())
	}
	if visibleWhileRedriven {
		t.Errorf("msg-001 was visible on the queue while it was being redriven (-visibility-timeout 90s)\nlog:\n%s", h.log.String())
	}
}
