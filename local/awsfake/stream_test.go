package awsfake

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

const testARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"

var ctx = context.Background()

func isErr[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// iter returns an iterator of shard 0, failing the test on an error.
func iter(t *testing.T, s *Stream, in kinesis.GetShardIteratorInput) string {
	t.Helper()
	in.StreamARN, in.ShardId = aws.String(s.ARN()), aws.String("shardId-000000000000")
	out, err := s.GetShardIterator(ctx, &in)
	if err != nil {
		t.Fatalf("GetShardIterator %s: %v", in.ShardIteratorType, err)
	}
	return *out.ShardIterator
}

// page reads one page, failing the test on an error.
func page(t *testing.T, s *Stream, it string, limit int32) *kinesis.GetRecordsOutput {
	t.Helper()
	out, err := s.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(limit)})
	if err != nil {
		t.Fatalf("GetRecords: %v", err)
	}
	return out
}

func seqsOf(recs []types.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, *r.SequenceNumber)
	}
	return out
}

func TestNewStreamAndPut(t *testing.T) {
	s := NewStream(testARN, 2)
	if s.Name() != "orders" || s.ARN() != testARN {
		t.Errorf("name %q ARN %q", s.Name(), s.ARN())
	}
	a := s.Put("shardId-000000000000", Record{PartitionKey: "a"}, Record{PartitionKey: "b"})
	b := s.Put("shardId-000000000001", Record{PartitionKey: "c", Arrival: time.Unix(1, 234567890)})
	if len(a[0]) != 56 || !(a[0] < a[1] && a[1] < b[0]) {
		t.Errorf("sequence numbers %v %v: want 56 digits, increasing across the stream", a, b)
	}
	if got := s.Records("shardId-000000000001")[0].ApproximateArrivalTimestamp; !got.Equal(time.Unix(1, 234000000)) {
		t.Errorf("arrival %v, want it to the millisecond", got)
	}
	for name, put := range map[string]func(){
		"missing shard":       func() { s.Put("shardId-000000000009", Record{PartitionKey: "a"}) },
		"no partition key":    func() { s.Put("shardId-000000000000", Record{}) },
		"decreasing number":   func() { s.Put("shardId-000000000000", Record{PartitionKey: "a", SequenceNumber: "5"}) },
		"malformed number":    func() { s.Put("shardId-000000000001", Record{PartitionKey: "a", SequenceNumber: "9x"}) },
		"malformed ARN":       func() { NewStream("orders", 1) },
		"fault on no such op": func() { s.FailNext("PutRecords", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			put()
		}()
	}
}

func TestListShardsPagesAndResharding(t *testing.T) {
	s := NewStream(testARN, 2)
	s.Put("shardId-000000000000", Record{PartitionKey: "a"})
	c1, c2 := s.Split("shardId-000000000000")
	merged := s.Merge(c1, c2)
	s.ShardsPerPage = 2

	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String("orders")}
	for pages := 1; ; pages++ {
		out, err := s.ListShards(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			if pages != 3 {
				t.Errorf("%d pages of at most 2 for 5 shards", pages)
			}
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	var got []string
	for _, sh := range shards {
		closed := sh.SequenceNumberRange.EndingSequenceNumber != nil
		got = append(got, strings.Join([]string{*sh.ShardId, aws.ToString(sh.ParentShardId), aws.ToString(sh.AdjacentParentShardId), map[bool]string{true: "closed"}[closed]}, ","))
	}
	want := []string{
		"shardId-000000000000,,,closed", "shardId-000000000001,,,",
		c1 + ",shardId-000000000000,,closed", c2 + ",shardId-000000000000,,closed", merged + "," + c1 + "," + c2 + ",",
	}
	if !slices.Equal(got, want) {
		t.Errorf("shards\n%v\nwant\n%v", got, want)
	}

	for name, in := range map[string]*kinesis.ListShardsInput{
		"token and name": {NextToken: aws.String("1"), StreamName: aws.String("orders")},
		"bad token":      {NextToken: aws.String("x")},
		"no stream":      {},
		"MaxResults 0":   {StreamName: aws.String("orders"), MaxResults: aws.Int32(0)},
		"shard filter":   {StreamName: aws.String("orders"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}},
	} {
		if _, err := s.ListShards(ctx, in); !isErr[*types.InvalidArgumentException](err) {
			t.Errorf("%s: %v, want InvalidArgumentException", name, err)
		}
	}
	if _, err := s.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("other")}); !isErr[*types.ResourceNotFoundException](err) {
		t.Errorf("another stream: %v", err)
	}
}

func TestIteratorTypes(t *testing.T) {
	s := NewStream(testARN, 1)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i, seq := range []string{"8", "9", "10", "11", "100"} {
		s.Put("shardId-000000000000", Record{SequenceNumber: seq, PartitionKey: "k", Arrival: t0.Add(time.Duration(i) * time.Minute)})
	}
	for _, tc := range []struct {
		name string
		in   kinesis.GetShardIteratorInput
		want []string
	}{
		{"trim horizon", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, []string{"8", "9", "10", "11", "100"}},
		{"latest", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeLatest}, nil},
		{"at timestamp", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(t0.Add(90 * time.Second))}, []string{"10", "11", "100"}},
		{"at 10, numerically after 9", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String("10")}, []string{"10", "11", "100"}},
		{"after 10", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: aws.String("10")}, []string{"11", "100"}},
		{"at a number between records", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String("50")}, []string{"100"}},
		{"after a number past the end", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: aws.String("500")}, nil},
	} {
		if got := seqsOf(page(t, s, iter(t, s, tc.in), 100).Records); !slices.Equal(got, tc.want) {
			t.Errorf("%s: read %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := s.Log.Prefixed("iterator "); len(got) != 7 || got[0] != "iterator TRIM_HORIZON" {
		t.Errorf("log %v", got)
	}
	for name, in := range map[string]kinesis.GetShardIteratorInput{
		"unknown type":       {ShardIteratorType: "AT_THE_END"},
		"timestamp missing":  {ShardIteratorType: types.ShardIteratorTypeAtTimestamp},
		"malformed number":   {ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String("49x")},
		"no stream named":    {ShardIteratorType: types.ShardIteratorTypeLatest, ShardId: aws.String("shardId-000000000000")},
		"missing shard":      {ShardIteratorType: types.ShardIteratorTypeLatest, ShardId: aws.String("shardId-000000000007"), StreamName: aws.String("orders")},
		"another stream ARN": {ShardIteratorType: types.ShardIteratorTypeLatest, ShardId: aws.String("shardId-000000000000"), StreamARN: aws.String(testARN + "x")},
	} {
		_, err := s.GetShardIterator(ctx, &in)
		want := isErr[*types.InvalidArgumentException](err)
		if strings.HasPrefix(name, "missing") || strings.HasPrefix(name, "another") {
			want = isErr[*types.ResourceNotFoundException](err)
		}
		if !want {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestGetRecordsPagesToShardEnd(t *testing.T) {
	s := NewStream(testARN, 1)
	big := make([]byte, 4<<20)
	old := time.Now().Add(-time.Minute)
	s.Put("shardId-000000000000", Record{PartitionKey: "a", Data: big, Arrival: old}, Record{PartitionKey: "b", Data: big, Arrival: old}, Record{PartitionKey: "c", Data: big, Arrival: old}, Record{PartitionKey: "d"})
	c1, _ := s.Split("shardId-000000000000")
	it := iter(t, s, kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon})

	first := page(t, s, it, 10000)
	if len(first.Records) != 2 || *first.MillisBehindLatest < 50000 || first.NextShardIterator == nil {
		t.Fatalf("first page: %d records (want the 8 MiB that fit in 10 MiB), %d ms behind (want the age of the next record)", len(first.Records), *first.MillisBehindLatest)
	}
	second := page(t, s, *first.NextShardIterator, 1)
	if len(second.Records) != 1 || second.NextShardIterator == nil || *second.MillisBehindLatest == 0 {
		t.Fatalf("second page (Limit 1): %d records, behind %d", len(second.Records), *second.MillisBehindLatest)
	}
	last := page(t, s, *second.NextShardIterator, 10)
	if len(last.Records) != 1 || last.NextShardIterator != nil || *last.MillisBehindLatest != 0 ||
		len(last.ChildShards) != 2 || *last.ChildShards[0].ShardId != c1 {
		t.Fatalf("last page of a closed shard: %d records, next %v, children %v", len(last.Records), last.NextShardIterator, last.ChildShards)
	}
	if got := s.Log.Prefixed("getrecords"); !slices.Equal(got, []string{"getrecords 2", "getrecords 1", "getrecords 1"}) {
		t.Errorf("log %v", got)
	}

	s.MaxPageRecords = 1
	if out := page(t, s, it, 10000); len(out.Records) != 1 {
		t.Errorf("MaxPageRecords 1: %d records", len(out.Records))
	}
	for _, limit := range []int32{0, 10001} {
		if _, err := s.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it), Limit: aws.Int32(limit)}); !isErr[*types.InvalidArgumentException](err) {
			t.Errorf("Limit %d: %v", limit, err)
		}
	}
	if out, err := s.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it)}); err != nil || len(out.Records) != 1 {
		t.Errorf("no Limit: %v", err)
	}
	if _, err := s.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("nonsense")}); !isErr[*types.InvalidArgumentException](err) {
		t.Errorf("bad iterator: %v", err)
	}
	if n := s.GetRecordsCalls(); n != 8 {
		t.Errorf("%d GetRecords calls counted, want 8", n)
	}
}

func TestOpenShardAtTheTipKeepsAnIterator(t *testing.T) {
	s := NewStream(testARN, 1)
	out := page(t, s, iter(t, s, kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeLatest}), 10)
	if len(out.Records) != 0 || out.NextShardIterator == nil || *out.MillisBehindLatest != 0 {
		t.Fatalf("page %+v", out)
	}
	seq := s.Put("shardId-000000000000", Record{PartitionKey: "a"})
	if got := seqsOf(page(t, s, *out.NextShardIterator, 10).Records); !slices.Equal(got, seq) {
		t.Errorf("read %v after the put, want %v", got, seq)
	}
}

func TestTrimming(t *testing.T) {
	for _, kinesisMock := range []bool{false, true} {
		s := NewStream(testARN, 1)
		s.TrimmedSequenceNumberError = kinesisMock
		seqs := s.Put("shardId-000000000000", Record{PartitionKey: "a"}, Record{PartitionKey: "b"}, Record{PartitionKey: "c"}, Record{PartitionKey: "d"})
		s.Trim("shardId-000000000000", 2)
		if got := seqsOf(s.Records("shardId-000000000000")); !slices.Equal(got, seqs[2:]) {
			t.Errorf("records %v after trimming 2", got)
		}
		it := iter(t, s, kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if got := seqsOf(page(t, s, it, 10).Records); !slices.Equal(got, seqs[2:]) {
			t.Errorf("TRIM_HORIZON read %v", got)
		}
		in := &kinesis.GetShardIteratorInput{StreamName: aws.String("orders"), ShardId: aws.String("shardId-000000000000"),
			ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(seqs[0])}
		out, err := s.GetShardIterator(ctx, in)
		switch {
		case kinesisMock && !isErr[*types.ResourceNotFoundException](err):
			t.Errorf("kinesis-mock style: AT a trimmed number: %v", err)
		case !kinesisMock && err != nil:
			t.Errorf("AT a trimmed number: %v", err)
		case !kinesisMock && !slices.Equal(seqsOf(page(t, s, *out.ShardIterator, 10).Records), seqs[2:]):
			t.Error("AT a trimmed number does not start at the trim horizon")
		}
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(seqs[1])
		if out, err := s.GetShardIterator(ctx, in); err != nil || !slices.Equal(seqsOf(page(t, s, *out.ShardIterator, 10).Records), seqs[2:]) {
			t.Errorf("AFTER the last trimmed number: %v", err)
		}
	}
}

func TestEmptyPagesBeforeEachPage(t *testing.T) {
	s := NewStream(testARN, 1)
	s.EmptyPages, s.MaxPageRecords = true, 2
	seqs := s.Put("shardId-000000000000", Record{PartitionKey: "a"}, Record{PartitionKey: "b"}, Record{PartitionKey: "c"})
	it := iter(t, s, kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	var got []int
	var read []string
	for range 6 {
		out := page(t, s, it, 100)
		got = append(got, len(out.Records))
		read = append(read, seqsOf(out.Records)...)
		if len(out.Records) == 0 && *out.MillisBehindLatest == 0 && len(read) < 3 {
			t.Error("an empty page before records says the reader is at the tip")
		}
		it = *out.NextShardIterator
	}
	if !slices.Equal(got, []int{0, 2, 0, 1, 0, 0}) || !slices.Equal(read, seqs) {
		t.Errorf("page sizes %v, read %v", got, read)
	}
	if n := len(s.Log.Prefixed("getrecords empty")); n != 2 {
		t.Errorf("%d empty pages logged", n)
	}
}

func TestFaultsAndExpiry(t *testing.T) {
	s := NewStream(testARN, 1)
	s.Put("shardId-000000000000", Record{PartitionKey: "a"})
	it := iter(t, s, kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	throttled := &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded")}
	s.FailNext("GetRecords", nil, throttled)
	if s.PendingFaults("GetRecords") != 2 {
		t.Errorf("pending %d", s.PendingFaults("GetRecords"))
	}
	in := &kinesis.GetRecordsInput{ShardIterator: aws.String(it)}
	if _, err := s.GetRecords(ctx, in); err != nil {
		t.Errorf("first call, let through: %v", err)
	}
	if _, err := s.GetRecords(ctx, in); err != throttled {
		t.Errorf("second call: %v", err)
	}
	if _, err := s.GetRecords(ctx, in); err != nil || s.PendingFaults("GetRecords") != 0 {
		t.Errorf("after the faults: %v", err)
	}
	s.ExpireIterators()
	if _, err := s.GetRecords(ctx, in); !isErr[*types.ExpiredIteratorException](err) {
		t.Errorf("expired iterator: %v", err)
	}
	fresh := iter(t, s, kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if _, err := s.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(fresh)}); err != nil {
		t.Errorf("an iterator handed out later: %v", err)
	}
	s.FailAlways("DescribeStreamSummary", throttled)
	for range 2 {
		if _, err := s.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String(testARN)}); err != throttled {
			t.Errorf("DescribeStreamSummary: %v", err)
		}
	}
}

func TestDescribeAndDelete(t *testing.T) {
	s := NewStream(testARN, 2)
	s.Split("shardId-000000000000")
	out, err := s.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String(testARN)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.StreamDescriptionSummary
	if *d.StreamName != "orders" || *d.RetentionPeriodHours != 24 || *d.OpenShardCount != 3 || d.StreamStatus != types.StreamStatusActive {
		t.Errorf("summary %+v", d)
	}
	it := iter(t, s, kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	s.Delete()
	_, err1 := s.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("orders")})
	_, err2 := s.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
	_, err3 := s.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("orders")})
	for i, err := range []error{err1, err2, err3} {
		if !isErr[*types.ResourceNotFoundException](err) {
			t.Errorf("call %d on a deleted stream: %v", i, err)
		}
	}
}
