package esm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
)

// TestKinesisEngine checks, against the Kinesis emulator in use (kinesalite unless KINESIS2S3_KINESIS_ENGINE says
// kinesis-mock), each behaviour of Kinesis that the mapping relies on — and that pipelinectl redrive and generate
// rely on too — so that a different engine or version cannot quietly change what the local pipeline proves.
// Where the engines differ from Kinesis in ways the pipeline does not depend on, the subtest records the
// difference (doc.go lists them all).
func TestKinesisEngine(t *testing.T) {
	stack := startStack(t, emulators.Options{WithoutFauxqs: true})
	kc := stack.Kinesis()
	engine := stack.KinesisEngine
	ctx := t.Context()
	streams := 0
	newStream := func(t *testing.T, shards int) string {
		t.Helper()
		streams++
		name := "engine-" + strconv.Itoa(streams)
		if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))}); err != nil {
			t.Fatal(err)
		}
		waitStreamActive(ctx, t, kc, name)
		return name
	}
	put := func(t *testing.T, stream, pk, data string) (shard, seq string) {
		t.Helper()
		out, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String(pk), Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ShardId), aws.ToString(out.SequenceNumber)
	}
	iterator := func(t *testing.T, in *kinesis.GetShardIteratorInput) *string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 10*time.Second) // an engine that never answers fails, not hangs
		defer cancel()
		out, err := kc.GetShardIterator(c, in)
		if err != nil {
			t.Fatalf("GetShardIterator %s: %v", in.ShardIteratorType, err)
		}
		return out.ShardIterator
	}
	read := func(t *testing.T, it *string, limit int32) *kinesis.GetRecordsOutput {
		t.Helper()
		out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(limit)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	datas := func(recs []types.Record) []string {
		var out []string
		for _, r := range recs {
			out = append(out, string(r.Data))
		}
		return out
	}

	t.Run("ListShards lists every shard, in one page or several", func(t *testing.T) {
		stream := newStream(t, 5)
		// Kinesis pages at 1,000 shards unless MaxResults says less: ask for pages of 2 to see how the engine pages.
		m := &Mapping{kinesis: pageSize{kc, 2}, streamName: stream}
		list, err := m.listShards(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range list {
			if seen[aws.ToString(s.ShardId)] {
				t.Errorf("%s listed twice", aws.ToString(s.ShardId))
			}
			seen[aws.ToString(s.ShardId)] = true
		}
		if len(seen) != 5 {
			t.Fatalf("listed %d distinct shards, want 5", len(seen))
		}
		one, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream), MaxResults: aws.Int32(2)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: ListShards with MaxResults 2 returned %d shards, NextToken set %v (Kinesis: 2 and a NextToken)",
			engine, len(one.Shards), one.NextToken != nil)
	})

	t.Run("a closed shard ends, and its children name it", func(t *testing.T) {
		stream := newStream(t, 1)
		put(t, stream, "a", "before")
		parent := "shardId-000000000000"
		// Split at the middle of the hash key range, 2^127.
		if _, err := kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String(parent),
			NewStartingHashKey: aws.String(new(big.Int).Lsh(big.NewInt(1), 127).String())}); err != nil {
			t.Fatal(err)
		}
		waitStreamActive(ctx, t, kc, stream)
		shard, _ := put(t, stream, "a", "after")
		if shard == parent {
			t.Errorf("a record put after the split went to the closed parent %s", parent)
		}
		list, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		children := 0
		for _, s := range list.Shards {
			switch {
			case aws.ToString(s.ShardId) == parent:
				if s.SequenceNumberRange.EndingSequenceNumber == nil {
					t.Errorf("the split parent has no EndingSequenceNumber")
				}
			case aws.ToString(s.ParentShardId) == parent:
				children++
			}
		}
		if children != 2 {
			t.Errorf("%d shards name %s as their parent, want 2", children, parent)
		}
		// Reading the parent: its record, then (within a few calls) no NextShardIterator: SHARD_END.
		it := iterator(t, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String(parent), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		var got []string
		calls, childShards := 0, 0
		for ; it != nil; calls++ {
			if calls == 10 {
				t.Fatal("the closed shard never stopped returning a NextShardIterator")
			}
			out := read(t, it, 100)
			got = append(got, datas(out.Records)...)
			childShards += len(out.ChildShards)
			it = out.NextShardIterator
		}
		if len(got) != 1 || got[0] != "before" {
			t.Errorf("read %q from the closed shard, want [before]", got)
		}
		t.Logf("%s: SHARD_END after %d GetRecords calls; ChildShards in the answers: %d (Kinesis: 2 in the last one; the mapping uses ListShards)",
			engine, calls, childShards)
	})

	t.Run("a merged shard names both parents", func(t *testing.T) {
		stream := newStream(t, 2)
		if _, err := kc.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(stream),
			ShardToMerge: aws.String("shardId-000000000000"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
			t.Fatal(err)
		}
		waitStreamActive(ctx, t, kc, stream)
		list, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range list.Shards {
			if aws.ToString(s.ParentShardId) != "" && aws.ToString(s.AdjacentParentShardId) != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("no shard has both ParentShardId and AdjacentParentShardId after MergeShards: %+v", list.Shards)
		}
	})

	t.Run("UpdateShardCount", func(t *testing.T) {
		stream := newStream(t, 1)
		_, err := kc.UpdateShardCount(ctx, &kinesis.UpdateShardCountInput{StreamName: aws.String(stream),
			TargetShardCount: aws.Int32(2), ScalingType: types.ScalingTypeUniformScaling})
		var api smithy.APIError
		switch {
		case err == nil:
			t.Logf("%s: UpdateShardCount works", engine)
		case errors.As(err, &api) && api.ErrorCode() == "UnknownOperationException":
			// kinesalite has SplitShard and MergeShards only; resharding tests use those (UpdateShardCount is a
			// sequence of them on AWS), and the mapping calls neither.
			t.Logf("%s: UpdateShardCount is not implemented (%s)", engine, api.ErrorCode())
		default:
			t.Fatalf("UpdateShardCount: %v", err)
		}
	})

	t.Run("AT_TIMESTAMP", func(t *testing.T) {
		stream := newStream(t, 2)
		var shard string
		shard, _ = put(t, stream, "a", "old")
		time.Sleep(1100 * time.Millisecond)
		between := time.Now()
		time.Sleep(100 * time.Millisecond)
		put(t, stream, "a", "new")
		at := func(t *testing.T, shardID string, ts time.Time) *string {
			return iterator(t, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String(shardID),
				ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(ts)})
		}
		if got := datas(read(t, at(t, shard, between), 10).Records); len(got) != 1 || got[0] != "new" {
			t.Errorf("AT_TIMESTAMP between the records read %q, want [new]", got)
		}
		// After the last record, or on a shard without records: an iterator at the tip, which returns what comes next.
		other := "shardId-000000000000"
		if shard == other {
			other = "shardId-000000000001"
		}
		tip, empty := at(t, shard, time.Now()), at(t, other, between)
		if got := datas(read(t, tip, 10).Records); len(got) != 0 {
			t.Errorf("AT_TIMESTAMP after the last record read %q, want nothing yet", got)
		}
		put(t, stream, "a", "later")
		if got := datas(read(t, tip, 10).Records); len(got) != 1 || got[0] != "later" {
			t.Errorf("the tip iterator then read %q, want [later]", got)
		}
		if out := read(t, empty, 10); len(out.Records) != 0 || out.NextShardIterator == nil {
			t.Errorf("AT_TIMESTAMP on an empty shard: %d records, NextShardIterator set %v; want none and an iterator", len(out.Records), out.NextShardIterator != nil)
		}
	})

	t.Run("sequence numbers and the positions built on them", func(t *testing.T) {
		stream := newStream(t, 1)
		var seqs []string
		for i := range 4 {
			_, seq := put(t, stream, "k", "r"+strconv.Itoa(i))
			if len(seqs) > 0 && seqnum.Compare(seq, seqs[len(seqs)-1]) <= 0 {
				t.Fatalf("sequence number %s does not follow %s", seq, seqs[len(seqs)-1])
			}
			seqs = append(seqs, seq)
		}
		shard := aws.String("shardId-000000000000")
		for _, c := range []struct {
			typ  types.ShardIteratorType
			seq  string
			want string
		}{
			{types.ShardIteratorTypeTrimHorizon, "", "r0"},
			{types.ShardIteratorTypeAtSequenceNumber, seqs[2], "r2"},
			{types.ShardIteratorTypeAfterSequenceNumber, seqs[2], "r3"},
		} {
			in := &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: shard, ShardIteratorType: c.typ}
			if c.seq != "" {
				in.StartingSequenceNumber = aws.String(c.seq)
			}
			if got := datas(read(t, iterator(t, in), 1).Records); len(got) != 1 || got[0] != c.want {
				t.Errorf("%s %s: read %q, want [%s]", c.typ, c.seq, got, c.want)
			}
		}
		latest := iterator(t, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: shard, ShardIteratorType: types.ShardIteratorTypeLatest})
		put(t, stream, "k", "r4")
		if got := datas(read(t, latest, 10).Records); len(got) != 1 || got[0] != "r4" {
			t.Errorf("LATEST read %q, want [r4]", got)
		}
	})

	t.Run("GetRecords limits, arrival times and MillisBehindLatest", func(t *testing.T) {
		stream := newStream(t, 1)
		before := time.Now().Truncate(time.Millisecond)
		for i := range 5 {
			put(t, stream, "k", "r"+strconv.Itoa(i))
		}
		after := time.Now()
		it := iterator(t, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String("shardId-000000000000"),
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		first := read(t, it, 3)
		if got := datas(first.Records); len(got) != 3 || got[0] != "r0" || got[2] != "r2" {
			t.Errorf("Limit 3 read %q, want r0..r2", got)
		}
		for _, r := range first.Records {
			if at := aws.ToTime(r.ApproximateArrivalTimestamp); at.Before(before) || at.After(after) {
				t.Errorf("ApproximateArrivalTimestamp %v is outside the puts' %v..%v", at, before, after)
			}
		}
		rest := read(t, first.NextShardIterator, 10000)
		if got := datas(rest.Records); len(got) != 2 || got[0] != "r3" {
			t.Errorf("the next page read %q, want r3, r4", got)
		}
		// Redrive takes an empty page with MillisBehindLatest 0 as the tip of an open shard.
		tip := read(t, rest.NextShardIterator, 10000)
		if len(tip.Records) != 0 || tip.MillisBehindLatest == nil || *tip.MillisBehindLatest != 0 || tip.NextShardIterator == nil {
			t.Errorf("at the tip: %d records, MillisBehindLatest %v, NextShardIterator set %v; want 0, 0, set",
				len(tip.Records), tip.MillisBehindLatest, tip.NextShardIterator != nil)
		}
		if first.MillisBehindLatest == nil {
			t.Error("GetRecords answered without MillisBehindLatest")
		} else {
			t.Logf("%s: MillisBehindLatest %d with 2 newer records unread (Kinesis: the age of the newest record behind the page)",
				engine, *first.MillisBehindLatest)
		}
		_, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(maxGetRecords + 1)})
		var api smithy.APIError
		if !errors.As(err, &api) {
			t.Fatalf("GetRecords with Limit %d: %v, want an API error", maxGetRecords+1, err)
		}
		t.Logf("%s: GetRecords Limit %d is refused with %s (the mapping asks for at most %d)", engine,
			maxGetRecords+1, api.ErrorCode(), maxGetRecords)
	})

	t.Run("errors have the types the SDK decodes", func(t *testing.T) {
		// What the pipeline acts on: a missing stream stops the mapping's Run; a missing stream or shard is "data
		// gone" to redrive.
		_, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("no-such-stream")})
		if nf := (*types.ResourceNotFoundException)(nil); !errors.As(err, &nf) {
			t.Errorf("ListShards of a missing stream: %v, want ResourceNotFoundException", err)
		}
		stream := newStream(t, 2)
		_, err = kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String("shardId-000000000007"),
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if nf := (*types.ResourceNotFoundException)(nil); !errors.As(err, &nf) {
			t.Errorf("GetShardIterator of a missing shard: %v, want ResourceNotFoundException", err)
		}
		// Recorded only: nothing in the pipeline sends these (Kinesis answers InvalidArgumentException to both).
		_, err = kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("AAAAAAAAAAAAAAAAAAAAAA==")}, noRetries)
		t.Logf("%s: GetRecords with a malformed iterator: %s", engine, errorCode(err))
		shard, seq := put(t, stream, "k", "x")
		other := "shardId-000000000000"
		if shard == other {
			other = "shardId-000000000001"
		}
		_, err = kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String(other),
			ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(seq)})
		t.Logf("%s: GetShardIterator at another shard's sequence number: %s", engine, errorCode(err))
	})

	t.Run("a stream can be named by its ARN", func(t *testing.T) {
		stream := newStream(t, 1)
		arn := aws.String(fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", stack.Region, emulators.AccountID, stream))
		sum, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: arn})
		if err != nil || aws.ToString(sum.StreamDescriptionSummary.StreamARN) != *arn || sum.StreamDescriptionSummary.RetentionPeriodHours == nil {
			t.Fatalf("DescribeStreamSummary by ARN: %v %+v", err, sum)
		}
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamARN: arn, Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String("k"), Data: []byte("by-arn")}}})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("PutRecords by ARN: %v %+v", err, out)
		}
		it := iterator(t, &kinesis.GetShardIteratorInput{StreamARN: arn, ShardId: out.Records[0].ShardId,
			ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: out.Records[0].SequenceNumber})
		got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{StreamARN: arn, ShardIterator: it})
		if err != nil || len(got.Records) != 1 || string(got.Records[0].Data) != "by-arn" {
			t.Fatalf("GetRecords by ARN: %v %+v", err, got)
		}
	})
}

// noRetries makes one attempt only, for a request whose error is the point.
func noRetries(o *kinesis.Options) { o.RetryMaxAttempts = 1 }

// errorCode is the API error code of err, "no error", or err itself.
func errorCode(err error) string {
	var api smithy.APIError
	switch {
	case err == nil:
		return "no error"
	case errors.As(err, &api):
		return api.ErrorCode()
	}
	return err.Error()
}

// pageSize is a Kinesis client whose ListShards asks for pages of n shards, as the mapping does not (it takes
// Kinesis's default of 1,000), so that the engine's paging is seen on a small stream.
type pageSize struct {
	*kinesis.Client
	n int32
}

func (p pageSize) ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	in.MaxResults = aws.Int32(p.n)
	return p.Client.ListShards(ctx, in, optFns...)
}
