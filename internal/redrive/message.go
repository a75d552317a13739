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
	// A range read from the stream may hold more records than the failed batch: with parallelization_factor > 1
	// a shard feeds several batches at once, and each batch's range spans the others' records too; with
	// filter_patterns it spans the records the filter dropped, which the function never saw. Unless the
	// operator accepts that, nothing is reprocessed until the range is known to hold no more than the batch.
	guard := o.BatchSize > 0 && !o.InObject && !r.opts.AllowWiderRange
	var (
		held    []kinesisevent.Record // read, not yet reprocessed
		bytes   int                   // of the records read
		wider   bool                  // the range holds more records than the batch
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
		for _, rec := range recs {
			bytes += len(rec.Data)
		}
		held = append(held, recs...)
		// One invocation's event is at most 6 MB, or one record of up to 10 MiB: a range whose data outgrow what
		// an on-failure object may hold (maxObjectSize) is wider than its batch too, and is not held in memory.
		if wider = guard && (o.Records > o.BatchSize || bytes > maxObjectSize); wider {
			break
		}
		if !guard {
			held, failure = r.reprocessBatches(ctx, src, held, false, &o)
		}
	}
	// After a read error the records read so far are reprocessed too, so that salvaged() tells the truth; the
	// message is kept either way, and the redrive that later takes it writes the same objects again.
	if !wider && failure == nil {
		_, failure = r.reprocessBatches(ctx, src, held, true, &o)
	}
	o.Warnings = append(o.Warnings, rr.readingNotes()...)

	var gone *goneError
	switch {
	case wider:
		o.Verdict, o.Reason = VerdictWiderRange, r.widerReason(o, bytes)
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
	if !wider && o.BatchSize > 0 && o.Records != o.BatchSize && rr.spansRange() {
		// With ParallelizationFactor > 1 a batch holds only some partition keys, yet its range spans the
		// shard: the other keys' records, already processed, are in the range and are reprocessed too (a wider
		// range kept unread says so in its reason; nothing of it was taken).
		o.Warnings = append(o.Warnings, fmt.Sprintf("the range holds %d records but the on-failure record says batchSize %d "+
			"(parallelization_factor > 1, or filter_patterns?): all %d were taken", o.Records, o.BatchSize, o.Records))
	}
	return o
}

// widerReason says why a range that holds more records than its batch is kept, and what to do about it.
func (r *Redriver) widerReason(o Outcome, bytes int) string {
	what := "nothing was reprocessed"
	if r.opts.DryRun {
		what = "a redrive would reprocess nothing"
	}
	return fmt.Sprintf("the range holds more than the failed batch did (batchSize %d; %d records, %.1f MiB read so far): "+
		"with parallelization_factor > 1 it also spans other batches' records, already written, and with filter_patterns "+
		"the records the filter dropped; %s. Rerun with -allow-wider-range to reprocess the whole range (in record "+
		"output mode the other batches' objects are rewritten; in batch mode their records are written again, as "+
		"duplicates; a filter's dropped records are written). An S3 on-failure destination keeps each failed "+
		"batch's exact records",
		o.BatchSize, o.Records, float64(bytes)/(1<<20), what)
}

// reprocessBatches hands recs to reprocess in batches of Options.BatchSize, up to the first failure, and returns
// what is left: with all, nothing; otherwise the last records that make less than a batch, moved to the front of
// recs' array so that it is reused.
func (r *Redriver) reprocessBatches(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record, all bool, o *Outcome) ([]kinesisevent.Record, error) {
	rest := recs
	for len(rest) >= r.opts.BatchSize || all && len(rest) > 0 {
		n := min(len(rest), r.opts.BatchSize)
		if err := r.reprocess(ctx, src, rest[:n], o); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return append(recs[:0], rest...), nil
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
