package esm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

// runLane invokes the function with the lane's batches, one at a time, until the lane is closed and drained
// or ctx is done.
func (m *Mapping) runLane(ctx context.Context, sh *shard, l *lane) {
	for {
		batch := m.gather(ctx, sh, l)
		if len(batch) == 0 || !m.process(ctx, sh, l, batch) {
			return
		}
	}
}

// gather takes the lane's next batch: it waits until the batch holds BatchSize records, the next record
// would push the event over PayloadLimit, or MaximumBatchingWindow has passed since the batch's first record
// was taken. It returns nil when the lane is closed and empty or ctx is done.
func (m *Mapping) gather(ctx context.Context, sh *shard, l *lane) []*record {
	var (
		batch    []*record
		sum      int // bytes of the batch's record encodings
		deadline time.Time
		timer    *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		full := false
		sh.mu.Lock()
		for len(l.buf) > 0 && len(batch) < m.cfg.BatchSize {
			r := l.buf[0]
			if len(batch) > 0 && kinesisevent.PayloadSize(len(batch)+1, sum+len(r.event)) > PayloadLimit {
				full = true
				break
			}
			if len(batch) == 0 {
				deadline = time.Now().Add(m.cfg.MaximumBatchingWindow)
			}
			batch = append(batch, r)
			sum += len(r.event)
			l.buf[0] = nil
			l.buf = l.buf[1:]
		}
		closed := l.closed
		sh.mu.Unlock()

		switch {
		case full || len(batch) == m.cfg.BatchSize:
			return batch
		case closed: // nothing more will come: do not wait out the window
			return batch
		case len(batch) > 0 && !time.Now().Before(deadline):
			return batch
		}
		var expire <-chan time.Time
		if len(batch) > 0 {
			if timer == nil {
				timer = time.NewTimer(time.Until(deadline))
			}
			expire = timer.C
		}
		select {
		case <-l.notify:
		case <-expire:
		case <-ctx.Done():
			return nil // records taken are left unprocessed and not checkpointed
		}
	}
}

// pendingBatch is a batch, or part of one, waiting to be (re)invoked.
type pendingBatch struct {
	recs    []*record
	retries int           // retries consumed, inherited by the halves of a bisected batch
	invokes int           // invocations that carried these records, for approximateInvokeCount
	last    *InvokeResult // the latest invocation's result, for the on-failure record's responseContext
}

// process invokes the function with batch until every record succeeded or was discarded. It returns false
// when ctx ended first; the records left are then not checkpointed.
func (m *Mapping) process(ctx context.Context, sh *shard, l *lane, batch []*record) bool {
	queue := []*pendingBatch{{recs: batch}}
	backoff := m.backoffMin
	for len(queue) > 0 {
		b := queue[0]
		if ctx.Err() != nil {
			return false
		}
		if n := m.expired(b.recs); n > 0 {
			if !m.discard(ctx, sh, l, b, n, onfailure.RecordAgeExceeded) {
				return false
			}
			if b.recs = b.recs[n:]; len(b.recs) == 0 {
				queue = queue[1:]
				continue
			}
		}

		event := payload(b.recs)
		var res InvokeResult
		var err error
		if len(event) > PayloadLimit {
			// Only a single record can be this large (gather cuts batches to fit). Lambda cannot invoke with
			// it: like a throttle, it is retried until the record is too old, never sent to the function.
			err = fmt.Errorf("the event is %d bytes, over Lambda's %d-byte invocation payload limit", len(event), PayloadLimit)
		} else {
			m.emit(batchEvent(Invoked, sh, l, b.recs, b.retries))
			res, err = m.fn.Invoke(ctx, event)
		}
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			// The function was not invoked (throttled, unreachable): retry until the records are too old,
			// without consuming a retry attempt.
			m.stats.invokeErrors.Add(1)
			e := batchEvent(InvokeFailed, sh, l, b.recs, b.retries)
			e.Err = err
			m.emit(e)
			if !sleep(ctx, backoff) {
				return false
			}
			backoff = min(2*backoff, m.backoffMax)
			continue
		}
		m.stats.invocations.Add(1)
		b.invokes++
		b.last = &res

		failedAt, err := m.verdict(res, b.recs)
		switch {
		case failedAt == len(b.recs): // success
			m.succeed(sh, l, b.recs)
			queue = queue[1:]
			backoff = m.backoffMin
			continue
		case err == nil: // partial: records before failedAt succeeded; retry from failedAt
			m.stats.partialFailures.Add(1)
			m.emit(batchEvent(PartialFailure, sh, l, b.recs[failedAt:], b.retries))
			m.succeed(sh, l, b.recs[:failedAt])
			b.recs = b.recs[failedAt:]
		default: // the whole batch failed
			m.stats.functionErrors.Add(1)
			e := batchEvent(FunctionFailed, sh, l, b.recs, b.retries)
			e.Err = err
			m.emit(e)
			if m.cfg.BisectBatchOnFunctionError && len(b.recs) > 1 {
				// Splitting does not consume a retry; the first half goes first.
				m.stats.bisects.Add(1)
				m.emit(batchEvent(Bisected, sh, l, b.recs, b.retries))
				queue = append(b.halves(), queue[1:]...)
				continue
			}
		}
		b.retries++
		if m.cfg.MaximumRetryAttempts != NoLimit && b.retries > m.cfg.MaximumRetryAttempts {
			if !m.discard(ctx, sh, l, b, len(b.recs), onfailure.RetryAttemptsExhausted) {
				return false
			}
			queue = queue[1:]
			continue
		}
		m.emit(batchEvent(Retrying, sh, l, b.recs, b.retries))
		if !sleep(ctx, backoff) {
			return false
		}
		backoff = min(2*backoff, m.backoffMax)
	}
	return true
}

// halves splits a batch in two, the first half rounded up; both inherit the retries and invocations so far.
func (b *pendingBatch) halves() []*pendingBatch {
	half := (len(b.recs) + 1) / 2
	return []*pendingBatch{
		{recs: b.recs[:half], retries: b.retries, invokes: b.invokes, last: b.last},
		{recs: b.recs[half:], retries: b.retries, invokes: b.invokes, last: b.last},
	}
}

// verdict judges an invocation: it returns len(batch) for success, the index of the first failed record for
// a valid partial batch response, or an error when the whole batch failed.
func (m *Mapping) verdict(res InvokeResult, batch []*record) (int, error) {
	if res.FunctionError != "" {
		return 0, fmt.Errorf("function error %s: %s", res.FunctionError, truncate(res.Payload, 256))
	}
	if !m.cfg.ReportBatchItemFailures {
		return len(batch), nil // the response is not read
	}
	i, err := kinesisevent.ParseResponse(res.Payload, seqs(batch))
	if err != nil {
		return 0, fmt.Errorf("partial batch response: %w", err)
	}
	return i, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// expired counts the leading records older than MaximumRecordAge.
func (m *Mapping) expired(recs []*record) int {
	if m.cfg.MaximumRecordAge == NoLimit {
		return 0
	}
	cutoff := m.now().Add(-m.cfg.MaximumRecordAge)
	n := 0
	for n < len(recs) && recs[n].arrival.Before(cutoff) {
		n++
	}
	return n
}

func (m *Mapping) succeed(sh *shard, l *lane, recs []*record) {
	if len(recs) == 0 {
		return
	}
	m.stats.recordsSucceeded.Add(int64(len(recs)))
	m.emit(batchEvent(Succeeded, sh, l, recs, 0))
	m.checkpoint(sh, l, recs)
}

func (m *Mapping) checkpoint(sh *shard, l *lane, recs []*record) {
	if cp := sh.complete(recs); cp != "" {
		m.emit(Event{Type: Checkpointed, ShardID: sh.id, Lane: l.idx, LastSequenceNumber: cp})
	}
}

// discard gives up on the first n records of b: it delivers their on-failure record (retrying until the
// destination takes it) and only then checkpoints past them. It returns false when ctx ended before the record
// was delivered.
func (m *Mapping) discard(ctx context.Context, sh *shard, l *lane, b *pendingBatch, n int, condition string) bool {
	recs := b.recs[:n]
	if m.cfg.OnFailureQueueURL != "" || m.bucket != "" {
		// Encoded once: a retried delivery sends the same body, to the same S3 key.
		body, key, err := m.encodeOnFailure(sh, b, recs, condition)
		if err != nil { // only plain values: not expected
			m.emit(Event{Type: OnFailureError, ShardID: sh.id, Err: err})
			return false
		}
		backoff := m.backoffMin
		var where string
		for {
			if where, err = m.deliver(ctx, body, key); err == nil {
				break
			}
			if ctx.Err() != nil {
				return false
			}
			m.stats.onFailureErrors.Add(1)
			e := batchEvent(OnFailureError, sh, l, recs, b.retries)
			e.Err = err
			m.emit(e)
			if !sleep(ctx, backoff) {
				return false
			}
			backoff = min(2*backoff, m.backoffMax)
		}
		m.stats.onFailureSent.Add(1)
		e := batchEvent(OnFailureSent, sh, l, recs, b.retries)
		e.Condition, e.Destination = condition, where
		m.emit(e)
	}
	m.stats.recordsDiscarded.Add(int64(len(recs)))
	e := batchEvent(Discarded, sh, l, recs, b.retries)
	e.Condition = condition
	m.emit(e)
	m.checkpoint(sh, l, recs)
	return true
}

// encodeOnFailure returns the body of the on-failure record for discarded records and, for an S3 destination,
// the object's key. Written to S3 the record also carries, as payload, the event the records were (or would
// have been) invoked with, as a string holding its JSON: AWS's documented form.
func (m *Mapping) encodeOnFailure(sh *shard, b *pendingBatch, recs []*record, condition string) (body []byte, key string, err error) {
	rec := m.onFailureRecord(sh, b, recs, condition)
	if m.bucket != "" {
		rec.Payload = onfailure.StringPayload(payload(recs))
		key = onfailure.ObjectKey(m.cfg.UUID, sh.id, rec.Timestamp, newUUID())
	}
	body, err = json.Marshal(rec)
	return body, key, err
}

// deliver sends one on-failure record to the destination: to the queue, or as the object key to the bucket.
// It returns where the record went once the destination has accepted it (SQS has stored the message, S3 the
// whole object).
func (m *Mapping) deliver(ctx context.Context, body []byte, key string) (string, error) {
	if m.bucket == "" {
		_, err := m.sqs.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:    aws.String(m.cfg.OnFailureQueueURL),
			MessageBody: aws.String(string(body)),
		})
		if err != nil {
			return "", fmt.Errorf("send on-failure record: %w", err)
		}
		return m.cfg.OnFailureQueueURL, nil
	}
	_, err := m.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(m.bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(body),
		ContentType: aws.String("application/json"),
	})
	if err != nil {
		return "", fmt.Errorf("write on-failure object %s: %w", key, err)
	}
	return "s3://" + m.bucket + "/" + key, nil
}

// onFailureRecord describes discarded records the way Lambda's on-failure destination does.
func (m *Mapping) onFailureRecord(sh *shard, b *pendingBatch, recs []*record, condition string) onfailure.Record {
	rec := onfailure.Record{
		RequestContext: onfailure.RequestContext{
			RequestID:              newUUID(),
			FunctionARN:            m.cfg.FunctionARN,
			Condition:              condition,
			ApproximateInvokeCount: b.invokes,
		},
		Version:   "1.0",
		Timestamp: awsTime(time.Now()),
		KinesisBatchInfo: &onfailure.KinesisBatchInfo{
			ShardID:                         sh.id,
			StartSequenceNumber:             recs[0].seq,
			EndSequenceNumber:               recs[len(recs)-1].seq,
			ApproximateArrivalOfFirstRecord: awsTime(recs[0].arrival),
			ApproximateArrivalOfLastRecord:  awsTime(recs[len(recs)-1].arrival),
			BatchSize:                       len(recs),
			StreamARN:                       m.cfg.StreamARN,
		},
	}
	if b.last != nil { // Invoke answers 200 whether or not the function failed
		rec.ResponseContext = onfailure.ResponseContext{
			StatusCode:      200,
			ExecutedVersion: "$LATEST",
			FunctionError:   b.last.FunctionError,
		}
	}
	return rec
}

// awsTime is t in UTC at millisecond precision, as Lambda writes on-failure timestamps.
func awsTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// newUUID returns a random UUID (version 4): a stand-in for Lambda's request ID and mapping UUID, and the
// random part of an S3 on-failure object's key.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func batchEvent(t EventType, sh *shard, l *lane, recs []*record, retries int) Event {
	e := Event{Type: t, ShardID: sh.id, Lane: l.idx, Records: len(recs), Retries: retries}
	if len(recs) > 0 {
		e.FirstSequenceNumber, e.LastSequenceNumber = recs[0].seq, recs[len(recs)-1].seq
	}
	return e
}

// payload assembles the invocation event for a batch from the records' encodings.
func payload(batch []*record) []byte {
	events := make([][]byte, len(batch))
	for i, r := range batch {
		events[i] = r.event
	}
	return kinesisevent.Payload(events)
}

// seqs lists the batch's sequence numbers, in order.
func seqs(batch []*record) []string {
	s := make([]string, len(batch))
	for i, r := range batch {
		s[i] = r.seq
	}
	return s
}
