package esm

import (
	"strings"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/awsfake"
)

// Review (rev16): Kinesis accepts records up to 10 MiB, and a record of more than about 4.5 MiB makes an event
// over Lambda's 6 MB synchronous payload limit on its own. gather sends such a record "alone", so the local
// function is invoked with a payload Lambda could never deliver (the RIE even truncates it silently at 6 MiB + 100
// bytes, so the bootstrap fails on broken JSON and the record goes to the DLQ as RetryAttemptsExhausted after
// 1 + MaximumRetryAttempts invocations, ~45 s). AWS passes records to the function "as long as the total size of
// the events doesn't exceed the payload limit for synchronous invocation (6 MB)"; what it cannot invoke it
// retries "until the records expire or exceed the maximum age" ("Before invocation"), without consuming
// retries. Deployed, such a record therefore holds its shard for maximum_record_age_in_seconds (an hour by
// default) and then reaches the destination as RecordAgeExceeded, never invoked.
func TestAnEventOverThePayloadLimitIsNeverInvoked(t *testing.T) {
	k := newStream(1)
	huge := strings.Repeat("x", 5<<20)                   // 5 MiB of data: about 7 MB of base64 in the event
	arrival := time.Now().Add(-59800 * time.Millisecond) // expires 200 ms into the test
	big := k.put(shard0, "big", huge, arrival)
	next := k.putN(shard0, 1)
	cfg := onFailureConfig()
	cfg.MaximumRecordAge = time.Minute
	q := awsfake.NewQueue(testQueueURL)
	h := run(t, cfg, k, q, nil)
	h.waitCheckpoint(t, shard0, next[0])
	h.stop(t)

	for i, c := range h.inv.calls {
		if c.size > PayloadLimit {
			t.Errorf("invocation %d payload is %d bytes, over the %d Lambda can invoke with", i, c.size, PayloadLimit)
		}
	}
	recs := onFailureRecords(t, q)
	if len(recs) != 1 {
		t.Fatalf("%d on-failure records, want 1 for the record Lambda cannot invoke the function with", len(recs))
	}
	checkOnFailure(t, k, recs[0], onfailure.RecordAgeExceeded, 0, "", big, big, 1)
}
