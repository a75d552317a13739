package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

// parseMessage reads an on-failure record from a message body, unwrapping an SNS notification first (for
// on-failure records routed through a topic without raw message delivery). It checks everything the
// redrive relies on, so that a bad record is reported instead of half-processed.
func parseMessage(body string) (onfailure.KinesisBatchInfo, error) {
	raw := []byte(body)
	var sns struct{ Type, Message *string }
	if json.Unmarshal(raw, &sns) == nil && aws.ToString(sns.Type) == "Notification" && sns.Message != nil {
		raw = []byte(*sns.Message)
	}
	rec, err := parseRecord(raw)
	var b onfailure.KinesisBatchInfo
	if rec.KinesisBatchInfo != nil {
		b = *rec.KinesisBatchInfo
	}
	if err != nil {
		return b, fmt.Errorf("%w: left on the queue", err)
	}
	return b, nil
}

// parseRecord reads an on-failure record and checks everything the redrive relies on. Past the JSON, a bad
// record is returned with the error, so that what it says can be reported.
func parseRecord(raw []byte) (onfailure.Record, error) {
	rec, err := onfailure.Parse(raw)
	if errors.Is(err, onfailure.ErrNotKinesis) {
		return rec, fmt.Errorf("%w (no KinesisBatchInfo)", err)
	}
	if err != nil {
		return rec, err
	}
	b := *rec.KinesisBatchInfo
	switch {
	case !seqnum.Valid(b.StartSequenceNumber):
		return rec, fmt.Errorf("on-failure record: startSequenceNumber %q is not a sequence number", b.StartSequenceNumber)
	case !seqnum.Valid(b.EndSequenceNumber):
		return rec, fmt.Errorf("on-failure record: endSequenceNumber %q is not a sequence number", b.EndSequenceNumber)
	case seqnum.Compare(b.StartSequenceNumber, b.EndSequenceNumber) > 0:
		return rec, errors.New("on-failure record: startSequenceNumber is after endSequenceNumber")
	}
	if _, err := regionOf(b.StreamARN); err != nil {
		return rec, fmt.Errorf("on-failure record: %w", err)
	}
	return rec, nil
}

// regionOf takes the region from a stream ARN, arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME.
func regionOf(streamARN string) (string, error) {
	parts := strings.SplitN(streamARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesis" || parts[3] == "" ||
		!strings.HasPrefix(parts[5], "stream/") || len(parts[5]) == len("stream/") {
		return "", fmt.Errorf("streamArn %q is not a Kinesis stream ARN", streamARN)
	}
	return parts[3], nil
}

// handle redrives one item and says what became of it. It never settles (deletes, tags) an item unless every
// record of its on-failure record was read and durably handled.
func (r *Redriver) handle(ctx context.Context, it *item) Outcome {
	o := Outcome{MessageID: it.id}
	src, rr := r.src.open(ctx, it, &o)
	if rr == nil {
		return o
	}
	var (
		batch   []kinesisevent.Record
		readErr error
		failure error // the reprocessing failure that ends the message
	)
	for !rr.finished() && failure == nil {
		recs, err := rr.next(ctx)
		if err != nil {
			readErr = err
			break
		}
		if len(recs) > 0 && o.Records == 0 && !recs[0].Arrival.IsZero() {
			o.Oldest = recs[0].Arrival
		}
		o.Records += len(recs)
		for len(recs) > 0 && failure == nil {
			n := min(len(recs), r.opts.BatchSize-len(batch))
			batch, recs = append(batch, recs[:n]...), recs[n:]
			if len(batch) == r.opts.BatchSize {
				failure = r.reprocess(ctx, src, batch, &o)
				batch = batch[:0]
			}
		}
	}
	// After a read error the batch read so far is reprocessed too, so that salvaged() tells the truth; the
	// message is kept either way, and the redrive that later takes it writes the same objects again.
	if len(batch) > 0 && failure == nil {
		failure = r.reprocess(ctx, src, batch, &o)
	}
	o.Warnings = append(o.Warnings, rr.readingNotes()...)

	var gone *goneError
	switch {
	case failure != nil:
		o.Verdict, o.Reason = VerdictFailed, failure.Error()
	case errors.As(readErr, &gone):
		o.Verdict, o.Reason = VerdictDataGone, gone.reason+r.salvaged(o)
	case readErr != nil:
		o.Verdict, o.Reason = VerdictReadError, readErr.Error()+r.salvaged(o)
	case rr.missing() != "":
		o.Verdict, o.Reason = VerdictDataGone, rr.missing()+r.salvaged(o)
	case r.opts.DryRun:
		o.Verdict = VerdictWouldRedrive
	default:
		var err error
		if o.Verdict, err = r.src.settle(ctx, it); err != nil {
			o.Reason = err.Error()
		}
	}
	if o.BatchSize > 0 && o.Records != o.BatchSize && rr.spansRange() {
		// With ParallelizationFactor > 1 a batch holds only some partition keys, yet its range spans the
		// shard: the other keys' records, already processed, are in the range and are reprocessed too.
		o.Warnings = append(o.Warnings, fmt.Sprintf("the range holds %d records but the on-failure record says batchSize %d "+
			"(ParallelizationFactor > 1?): all %d were taken", o.Records, o.BatchSize, o.Records))
	}
	return o
}

// salvaged tells what happened to the part of an incomplete range that was still in the stream.
func (r *Redriver) salvaged(o Outcome) string {
	switch {
	case o.Records == 0:
		return ""
	case r.opts.DryRun:
		return fmt.Sprintf("; %d records of the range are still in the stream and would be reprocessed", o.Records)
	}
	return fmt.Sprintf("; the %d records still in the stream were reprocessed (%d durably)", o.Records, o.Reprocessed)
}

// reprocess hands one batch to the Reprocessor, retrying from the first record not handled, up to Retries times
// in a row without progress. An attempt that handles some records goes on from there at once, without using a
// retry: the handler stops where its per-invocation budget ends, and a range larger than one budget must still
// finish (were progress counted as a failure, every rerun would start over and stop at the same place). It returns
// nil once every record is durably handled. In a dry run it does nothing.
func (r *Redriver) reprocess(ctx context.Context, src kinesisevent.Source, batch []kinesisevent.Record, o *Outcome) error {
	if r.opts.DryRun {
		return nil
	}
	done := 0
	backoff := r.opts.Backoff
	for attempt := 0; ; attempt++ {
		res, err := r.rp.Reprocess(ctx, src, batch[done:])
		handled := min(max(res.Handled, 0), len(batch)-done)
		done += handled
		o.Reprocessed += handled
		o.count(res)
		if done == len(batch) {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("%d of %d records not handled, without a reason", len(batch)-done, len(batch))
		}
		if handled > 0 && ctx.Err() == nil {
			r.logf("  continuing %s %s from %s: %v", r.src.noun(), o.MessageID, batch[done].SequenceNumber, err)
			attempt, backoff = -1, r.opts.Backoff
			continue
		}
		if ctx.Err() != nil || attempt >= r.opts.Retries {
			o.Failed += len(batch) - done
			return fmt.Errorf("%d records from %s not durably handled after %d attempts: %w",
				len(batch)-done, batch[done].SequenceNumber, attempt+1, err)
		}
		r.logf("  retry %d/%d for %s %s from %s in %s: %v", attempt+1, r.opts.Retries, r.src.noun(), o.MessageID,
			batch[done].SequenceNumber, backoff, err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// streamInfo is what DescribeStreamSummary says about a stream.
type streamInfo struct {
	retention time.Duration
	err       error
}

// inRegionOf sends a call about the stream arn to the stream's region, which may not be the one the CLI is set to:
// asked in another region, Kinesis does not know the stream, which would read as data gone.
func inRegionOf(arn string) func(*kinesis.Options) {
	return func(o *kinesis.Options) {
		if parts := strings.SplitN(arn, ":", 5); len(parts) == 5 && parts[0] == "arn" && parts[3] != "" {
			o.Region = parts[3]
		}
	}
}

// stream describes a stream once per run.
func (r *Redriver) stream(ctx context.Context, arn string) streamInfo {
	r.streamsMu.Lock()
	info, ok := r.streams[arn]
	r.streamsMu.Unlock()
	if ok {
		return info
	}
	out, err := r.k.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String(arn)}, inRegionOf(arn))
	switch {
	case err != nil:
		info.err = fmt.Errorf("describe stream: %s", errText(err))
	case out.StreamDescriptionSummary == nil || out.StreamDescriptionSummary.RetentionPeriodHours == nil:
		info.err = errors.New("describe stream: no retention period in the answer")
	default:
		info.retention = time.Duration(*out.StreamDescriptionSummary.RetentionPeriodHours) * time.Hour
	}
	if ctx.Err() == nil {
		r.streamsMu.Lock()
		r.streams[arn] = info
		r.streamsMu.Unlock()
	}
	return info
}
