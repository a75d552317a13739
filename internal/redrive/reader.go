package redrive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

// Reading limits.
const (
	maxGetRecords = 10000 // Kinesis's largest GetRecords Limit
	minGetRecords = 100   // so that a wrong batchSize hint cannot turn into one-record pages
	// maxEmptyPages bounds a walk over empty pages that never reaches the range (each page is a call).
	maxEmptyPages = 1000
	// maxReopens bounds how often an expired iterator is replaced.
	maxReopens = 5
	// timestampSlack starts the fallback AT_TIMESTAMP read a little before the first record's arrival:
	// arrival times are approximate, and records before the range are skipped by sequence number anyway.
	timestampSlack = 5 * time.Second
)

// goneError means the range, or part of it, is no longer in the stream.
type goneError struct{ reason string }

func (e *goneError) Error() string { return e.reason }

// rangeReader reads one on-failure range, startSequenceNumber to endSequenceNumber inclusive, from its shard:
// an AT_SEQUENCE_NUMBER iterator, then GetRecords pages along NextShardIterator until the end.
type rangeReader struct {
	k Kinesis
	b onfailure.KinesisBatchInfo

	iter    string
	opened  bool
	last    string // last sequence number read, in the range or not
	reopens int
	empty   int // empty pages in a row

	count      int    // records of the range read
	first      string // first record of the range read
	startFound bool   // the first record read is startSequenceNumber
	endFound   bool   // endSequenceNumber was read
	done       bool
	notes      []string // how the reading went when it was not straightforward
}

func newRangeReader(k Kinesis, b onfailure.KinesisBatchInfo) *rangeReader {
	return &rangeReader{k: k, b: b}
}

// next returns the next records of the range, in order, possibly none; rr.done reports the end of the
// reading, and rr.missing what of the range was not found. An error stops the reading: a *goneError when
// the stream, the shard or the range is gone, anything else for a failed call.
func (rr *rangeReader) next(ctx context.Context) ([]kinesisevent.Record, error) {
	if rr.done {
		return nil, nil
	}
	if !rr.opened {
		if err := rr.open(ctx); err != nil {
			rr.done = true
			return nil, err
		}
		rr.opened = true
	}
	limit := min(maxGetRecords, max(minGetRecords, rr.b.BatchSize-rr.count))
	out, err := rr.k.GetRecords(ctx, &kinesis.GetRecordsInput{
		ShardIterator: aws.String(rr.iter),
		Limit:         aws.Int32(int32(limit)),
		StreamARN:     aws.String(rr.b.StreamARN),
	}, inRegionOf(rr.b.StreamARN))
	if err != nil {
		var expired *types.ExpiredIteratorException
		if errors.As(err, &expired) && rr.reopens < maxReopens {
			rr.reopens++ // iterators last 5 minutes: a slow reprocessor can outlive one
			return nil, rr.reopen(ctx)
		}
		rr.done = true
		if isNotFound(err) {
			return nil, &goneError{fmt.Sprintf("stream or shard gone while reading: %v", err)}
		}
		return nil, fmt.Errorf("get records: %w", err)
	}
	recs := rr.take(out.Records)
	if !rr.done {
		rr.advance(out)
	}
	return recs, nil
}

// take returns the records of a page that fall in the range, and notes where the range starts and ends.
func (rr *rangeReader) take(page []types.Record) []kinesisevent.Record {
	var recs []kinesisevent.Record
	for _, kr := range page {
		seq := aws.ToString(kr.SequenceNumber)
		rr.last = seq
		if seqnum.Compare(seq, rr.b.StartSequenceNumber) < 0 {
			continue // before the range: only after the AT_TIMESTAMP fallback
		}
		if seqnum.Compare(seq, rr.b.EndSequenceNumber) > 0 {
			rr.done = true // past the range without meeting endSequenceNumber
			rr.notes = append(rr.notes, fmt.Sprintf("endSequenceNumber not in the shard: the next record is %s", seq))
			break
		}
		if rr.count == 0 {
			rr.first = seq
			rr.startFound = seqnum.Compare(seq, rr.b.StartSequenceNumber) == 0
		}
		rr.count++
		recs = append(recs, kinesisevent.Record{
			ShardID:        rr.b.ShardID,
			SequenceNumber: seq,
			PartitionKey:   aws.ToString(kr.PartitionKey),
			Data:           kr.Data,
			Arrival:        aws.ToTime(kr.ApproximateArrivalTimestamp),
			EncryptionType: string(kr.EncryptionType),
		})
		if seqnum.Compare(seq, rr.b.EndSequenceNumber) == 0 {
			rr.endFound, rr.done = true, true
			break
		}
	}
	return recs
}

// advance moves to the page after out, or ends the read when the shard can hold no more of the range.
func (rr *rangeReader) advance(out *kinesis.GetRecordsOutput) {
	next := aws.ToString(out.NextShardIterator)
	switch {
	case next == "":
		rr.done = true
		rr.notes = append(rr.notes, "the shard is closed and ends before endSequenceNumber")
	case len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0:
		rr.done = true
		rr.notes = append(rr.notes, "reached the newest record of the shard before endSequenceNumber")
	case len(out.Records) == 0:
		if rr.empty++; rr.empty >= maxEmptyPages {
			rr.done = true
			rr.notes = append(rr.notes, fmt.Sprintf("gave up after %d empty GetRecords pages", rr.empty))
		}
	default:
		rr.empty = 0
	}
	rr.iter = next
}

// open gets the first iterator: at startSequenceNumber or, when the shard no longer has it (trimmed, or the
// start never existed), at the arrival time of the range's first record, so that whatever part of the range
// is left can still be found.
func (rr *rangeReader) open(ctx context.Context) error {
	in := &kinesis.GetShardIteratorInput{
		StreamARN:              aws.String(rr.b.StreamARN),
		ShardId:                aws.String(rr.b.ShardID),
		ShardIteratorType:      types.ShardIteratorTypeAtSequenceNumber,
		StartingSequenceNumber: aws.String(rr.b.StartSequenceNumber),
	}
	out, err := rr.k.GetShardIterator(ctx, in, inRegionOf(rr.b.StreamARN))
	if err == nil {
		return rr.setIterator(out)
	}
	var invalid *types.InvalidArgumentException
	if !isNotFound(err) && !errors.As(err, &invalid) {
		return fmt.Errorf("get shard iterator at startSequenceNumber: %w", err)
	}
	if rr.b.ApproximateArrivalOfFirstRecord.IsZero() {
		return &goneError{fmt.Sprintf("startSequenceNumber not found: %v", err)}
	}
	rr.notes = append(rr.notes, fmt.Sprintf("startSequenceNumber not found (%v); looked from the first record's arrival time instead", errText(err)))
	out, err2 := rr.k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamARN:         in.StreamARN,
		ShardId:           in.ShardId,
		ShardIteratorType: types.ShardIteratorTypeAtTimestamp,
		Timestamp:         aws.Time(rr.b.ApproximateArrivalOfFirstRecord.Add(-timestampSlack)),
	}, inRegionOf(rr.b.StreamARN))
	switch {
	case err2 == nil:
		return rr.setIterator(out)
	case isNotFound(err2):
		return &goneError{fmt.Sprintf("stream or shard not found: %v", errText(err2))}
	default:
		return fmt.Errorf("get shard iterator at timestamp: %w", err2)
	}
}

// reopen replaces an expired iterator, right after the last record read.
func (rr *rangeReader) reopen(ctx context.Context) error {
	if rr.last == "" {
		rr.opened = false // nothing read yet: start over
		return nil
	}
	out, err := rr.k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamARN:              aws.String(rr.b.StreamARN),
		ShardId:                aws.String(rr.b.ShardID),
		ShardIteratorType:      types.ShardIteratorTypeAfterSequenceNumber,
		StartingSequenceNumber: aws.String(rr.last),
	}, inRegionOf(rr.b.StreamARN))
	if err != nil {
		rr.done = true
		if isNotFound(err) {
			return &goneError{fmt.Sprintf("stream or shard gone while reading: %v", errText(err))}
		}
		return fmt.Errorf("renew expired shard iterator: %w", err)
	}
	return rr.setIterator(out)
}

func (rr *rangeReader) setIterator(out *kinesis.GetShardIteratorOutput) error {
	rr.iter = aws.ToString(out.ShardIterator)
	if rr.iter == "" {
		return errors.New("GetShardIterator returned no iterator")
	}
	return nil
}

// missing says why the range read is incomplete, or "" when it is whole.
func (rr *rangeReader) missing() string {
	switch {
	case rr.count == 0:
		return "no record of the range is in the stream (trimmed by retention, or never there)"
	case !rr.startFound:
		return fmt.Sprintf("the range's first records are no longer in the stream (trimmed by retention?): it now starts at %s", rr.first)
	case !rr.endFound:
		return "the range's last records are not in the stream"
	}
	return ""
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// errText is an AWS error without the SDK's operation and request-id wrapping, for one-line reports.
func errText(err error) string {
	var nf *types.ResourceNotFoundException
	var invalid *types.InvalidArgumentException
	switch {
	case errors.As(err, &nf):
		return nf.ErrorCode() + ": " + nf.ErrorMessage()
	case errors.As(err, &invalid):
		return invalid.ErrorCode() + ": " + invalid.ErrorMessage()
	}
	return err.Error()
}

func (rr *rangeReader) finished() bool         { return rr.done }
func (rr *rangeReader) readingNotes() []string { return rr.notes }
func (rr *rangeReader) spansRange() bool       { return rr.startFound && rr.endFound }
