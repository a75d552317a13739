package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
)

// Sample is what Feed put into the stream: where each user record must end up, and the kind of each Kinesis record
// (keyed "<shardId>/<sequenceNumber>"), for summaries.
type Sample struct {
	Want  []ledger.Expect
	Kinds map[string]generate.Kind
	Stats generate.Stats
}

// Feed puts the generator's records into the pipeline's stream as cfg says (its Stream and Output are set here)
// and returns what the bucket must hold for them. Every record must be accepted.
func (p *Pipeline) Feed(ctx context.Context, gen *generate.Generator, cfg generate.Config) (Sample, error) {
	var audit bytes.Buffer
	cfg.Stream, cfg.Output = p.StreamName, &audit
	stats, err := generate.Run(ctx, p.Kinesis, gen, cfg)
	if err != nil {
		return Sample{}, fmt.Errorf("feeding: %w", err)
	}
	if stats.Failed > 0 {
		return Sample{}, fmt.Errorf("feeding: Kinesis did not accept %d records", stats.Failed)
	}
	sent, err := generate.ReadAudit(&audit)
	if err != nil {
		return Sample{}, fmt.Errorf("feeding: %w", err)
	}
	s, err := SampleOf(sent)
	s.Stats = stats
	return s, err
}

// SampleOf turns a generator's audit of accepted records into a Sample.
func SampleOf(sent []generate.AuditRecord) (Sample, error) {
	want, err := ledger.FromAudit(sent)
	if err != nil {
		return Sample{}, fmt.Errorf("sample: %w", err)
	}
	kinds := make(map[string]generate.Kind, len(sent))
	for _, a := range sent {
		kinds[a.ShardID+"/"+a.SequenceNumber] = a.Kind
	}
	return Sample{Want: want, Kinds: kinds}, nil
}

// WaitAccounted checks the bucket for the sample's records (in objects written since since) until every one is
// found, something is wrong (a problem or a duplicate), or the pipeline had ample time: its batching window,
// retries and then some. progress, when not nil, sees every intermediate report.
func (p *Pipeline) WaitAccounted(ctx context.Context, since time.Time, want []ledger.Expect, progress func(ledger.Report)) (ledger.Report, error) {
	c, err := ledger.NewChecker(p.S3, p.Bucket, p.Settings.Layout())
	if err != nil {
		return ledger.Report{}, err
	}
	defer c.Close()
	c.Since = since
	deadline := time.Now().Add(2*time.Minute + p.Settings.ESM.MaximumBatchingWindow)
	for {
		rep, err := c.Check(ctx, want)
		if err != nil {
			return rep, err
		}
		if rep.Complete() || len(rep.Problems)+len(rep.Duplicates) > 0 || time.Now().After(deadline) {
			return rep, nil
		}
		if progress != nil {
			progress(rep)
		}
		select {
		case <-ctx.Done():
			return rep, fmt.Errorf("interrupted while waiting: %w", ctx.Err())
		case <-p.Done():
			return rep, fmt.Errorf("the event source mapping stopped: %w", p.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Watch counts the bucket's objects every interval and calls changed with the new count and the mapping's
// counters whenever the count moved, until ctx is done (it returns nil then) or the mapping stops (its error).
// A failed listing goes to changed as err and is retried.
func (p *Pipeline) Watch(ctx context.Context, interval time.Duration, changed func(objects, delta int, st esm.Stats, err error)) error {
	last, _ := p.countObjects(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.Done():
			return fmt.Errorf("the event source mapping stopped: %w", p.Err())
		case <-time.After(interval):
		}
		n, err := p.countObjects(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			changed(last, 0, p.Mapping.Stats(), err)
		case n != last:
			changed(n, n-last, p.Mapping.Stats(), nil)
			last = n
		}
	}
}

func (p *Pipeline) countObjects(ctx context.Context) (int, error) {
	n := 0
	pages := s3.NewListObjectsV2Paginator(p.S3, &s3.ListObjectsV2Input{Bucket: aws.String(p.Bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(page.Contents)
	}
	return n, nil
}
