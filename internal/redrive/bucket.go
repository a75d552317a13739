package redrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

// RedrivenTag is the object tag that Options.Tag puts on an on-failure object once every record of it is
// durably handled. Its value is the time of the redrive (RFC 3339, UTC). A lifecycle rule can expire objects by
// it.
const RedrivenTag = "kinesis2s3-redriven"

// maxObjectSize bounds what is read of one object. An on-failure object holds at most one invocation's event
// (6 MB, or one record of up to 10 MiB sent alone), base64 in a JSON string: far less. Anything larger is not an
// on-failure object, and is not read into memory.
const maxObjectSize = 64 << 20

// bucketSource takes on-failure records from the S3 objects under a prefix, in key order. The records come from
// each object's payload, not from the stream. An object is deleted (or tagged) once its records are durable;
// otherwise it is left as it was: nothing hides it from another run, and nothing needs to be released.
type bucketSource struct {
	r     *Redriver
	api   S3
	token *string // the listing's continuation token
	ended bool    // the listing has reached its end
	page  []types.Object
}

// object is an item's handle: what the listing said, and the tags read by open.
type object struct {
	size int64
	tags []types.Tag
}

func newBucketSource(r *Redriver, api S3) *bucketSource { return &bucketSource{r: r, api: api} }

func (*bucketSource) noun() string { return nounObject }

func (b *bucketSource) start(context.Context) {
	then := "deleted"
	if b.r.opts.Tag {
		then = "tagged " + RedrivenTag + " and left in the bucket; objects tagged before are skipped"
	}
	b.r.logf("objects under s3://%s/%s: each is %s once every record of it is durably handled", b.r.opts.Bucket,
		b.r.opts.Prefix, then)
}

func (*bucketSource) finish(context.Context) error { return nil }

// fetch takes the next objects of the listing. It is only called from the run loop, one call at a time.
func (b *bucketSource) fetch(ctx context.Context, n int) ([]*item, error) {
	for len(b.page) == 0 && !b.ended {
		out, err := b.api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b.r.opts.Bucket),
			Prefix: aws.String(b.r.opts.Prefix), ContinuationToken: b.token})
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", b.r.opts.Bucket, b.r.opts.Prefix, err)
		}
		b.page = out.Contents
		b.token = out.NextContinuationToken
		b.ended = !aws.ToBool(out.IsTruncated) || b.token == nil
	}
	var items []*item
	for _, o := range b.page[:min(n, len(b.page))] {
		items = append(items, &item{id: aws.ToString(o.Key), handle: &object{size: aws.ToInt64(o.Size)}})
	}
	b.page = b.page[len(items):]
	return items, nil
}

// open reads the object's on-failure record; its records are those of the payload.
func (b *bucketSource) open(ctx context.Context, it *item, o *Outcome) (kinesisevent.Source, recordReader) {
	obj := it.handle.(*object)
	o.InObject = true
	if b.r.opts.Tag {
		out, err := b.api.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(b.r.opts.Bucket), Key: aws.String(it.id)})
		if err != nil {
			o.Verdict, o.Reason = VerdictObjectReadError, "get its tags: "+s3ErrText(err)
			return kinesisevent.Source{}, nil
		}
		obj.tags = out.TagSet
		if i := tagIndex(obj.tags, RedrivenTag); i >= 0 {
			o.Verdict, o.Reason = VerdictAlreadyRedriven, "tagged "+RedrivenTag+"="+aws.ToString(obj.tags[i].Value)
			return kinesisevent.Source{}, nil
		}
	}
	body, verdict, err := b.read(ctx, it.id, obj.size)
	if err != nil {
		o.Verdict, o.Reason = verdict, err.Error()
		return kinesisevent.Source{}, nil
	}
	bi, src, recs, err := parseObject(body)
	o.StreamARN, o.ShardID, o.Start, o.End, o.BatchSize = bi.StreamARN, bi.ShardID, bi.StartSequenceNumber, bi.EndSequenceNumber, bi.BatchSize
	if err != nil {
		o.Verdict, o.Reason = VerdictUnreadable, err.Error()
		return kinesisevent.Source{}, nil
	}
	o.Oldest = recs[0].Arrival
	if len(recs) != bi.BatchSize {
		o.Warnings = append(o.Warnings, fmt.Sprintf("the payload holds %d records, the on-failure record says batchSize %d: "+
			"the payload's are redriven", len(recs), bi.BatchSize))
	}
	return src, &payloadReader{recs: recs}
}

// read returns the object's body, or the verdict and why it cannot be read.
func (b *bucketSource) read(ctx context.Context, key string, size int64) ([]byte, Verdict, error) {
	tooBig := fmt.Errorf("the object is more than %d MiB, larger than any on-failure record: left in the bucket", maxObjectSize>>20)
	if size > maxObjectSize {
		return nil, VerdictUnreadable, tooBig
	}
	out, err := b.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.r.opts.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, VerdictObjectReadError, fmt.Errorf("get object: %s", s3ErrText(err))
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, maxObjectSize+1))
	switch {
	case err != nil:
		return nil, VerdictObjectReadError, fmt.Errorf("read object: %w", err)
	case len(body) > maxObjectSize:
		return nil, VerdictUnreadable, tooBig
	}
	return body, "", nil
}

// parseObject reads an S3 on-failure object: the on-failure record, and the records of the event in its
// payload, which must be the discarded range — from startSequenceNumber to endSequenceNumber of the shard, in
// order. Past the record's JSON, the batch info is returned with any error, so that what it says can be reported.
func parseObject(body []byte) (onfailure.KinesisBatchInfo, kinesisevent.Source, []kinesisevent.Record, error) {
	rec, err := parseRecord(body)
	var bi onfailure.KinesisBatchInfo
	if rec.KinesisBatchInfo != nil {
		bi = *rec.KinesisBatchInfo
	}
	fail := func(err error) (onfailure.KinesisBatchInfo, kinesisevent.Source, []kinesisevent.Record, error) {
		return bi, kinesisevent.Source{}, nil, fmt.Errorf("%w: left in the bucket", err)
	}
	if err != nil {
		return fail(err)
	}
	event, err := rec.Event()
	if err != nil {
		return fail(err)
	}
	src, recs, err := kinesisevent.Decode(event)
	if err != nil {
		return fail(fmt.Errorf("payload: %w", err))
	}
	if src.StreamARN != bi.StreamARN {
		return fail(fmt.Errorf("the payload's records are from %s, the on-failure record's from %s", src.StreamARN, bi.StreamARN))
	}
	for i, r := range recs {
		switch {
		case r.ShardID != bi.ShardID:
			return fail(fmt.Errorf("payload record %s is of %s, the on-failure record's shard is %s", r.SequenceNumber, r.ShardID, bi.ShardID))
		case !seqnum.Valid(r.SequenceNumber):
			return fail(fmt.Errorf("payload record %d: %q is not a sequence number", i, r.SequenceNumber))
		case i > 0 && seqnum.Compare(recs[i-1].SequenceNumber, r.SequenceNumber) >= 0:
			return fail(fmt.Errorf("payload records %s and %s are not in sequence order", recs[i-1].SequenceNumber, r.SequenceNumber))
		}
	}
	if first, last := recs[0].SequenceNumber, recs[len(recs)-1].SequenceNumber; first != bi.StartSequenceNumber || last != bi.EndSequenceNumber {
		return fail(fmt.Errorf("the payload runs from %s to %s, not the on-failure record's range", first, last))
	}
	if src.Region == "" {
		src.Region, _ = regionOf(bi.StreamARN)
	}
	return bi, src, recs, nil
}

// settle deletes the object, or tags it. Once the records are durable it goes ahead even after an interrupt,
// as the queue's delete does.
func (b *bucketSource) settle(ctx context.Context, it *item) (Verdict, error) {
	ctx = context.WithoutCancel(ctx)
	bucket, key := aws.String(b.r.opts.Bucket), aws.String(it.id)
	if !b.r.opts.Tag {
		if _, err := b.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: key}); err != nil {
			return VerdictNotDeleted, fmt.Errorf("every record is durably handled, but deleting the object failed: %s", s3ErrText(err))
		}
		return VerdictDeleted, nil
	}
	// PutObjectTagging replaces the whole set: keep the object's other tags.
	tags := slices.Clone(it.handle.(*object).tags)
	tags = append(tags, types.Tag{Key: aws.String(RedrivenTag), Value: aws.String(time.Now().UTC().Format(time.RFC3339))})
	_, err := b.api.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bucket, Key: key, Tagging: &types.Tagging{TagSet: tags}})
	if err != nil {
		return VerdictNotTagged, fmt.Errorf("every record is durably handled, but tagging the object failed: %s", s3ErrText(err))
	}
	return VerdictTagged, nil
}

func tagIndex(tags []types.Tag, key string) int {
	return slices.IndexFunc(tags, func(t types.Tag) bool { return aws.ToString(t.Key) == key })
}

// s3ErrText is an S3 error without the SDK's operation and request-id wrapping, for one-line reports.
func s3ErrText(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}

// payloadReader yields the records of an S3 on-failure object's payload, all at once.
type payloadReader struct {
	recs []kinesisevent.Record
	done bool
}

func (p *payloadReader) next(context.Context) ([]kinesisevent.Record, error) {
	if p.done {
		return nil, nil
	}
	p.done = true
	return p.recs, nil
}

func (p *payloadReader) finished() bool       { return p.done }
func (*payloadReader) missing() string        { return "" }
func (*payloadReader) readingNotes() []string { return nil }

// spansRange is false: the payload holds exactly the discarded records (open checks its count).
func (*payloadReader) spansRange() bool { return false }
