package awsfake

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
)

// Kinesis limits and defaults, from the Kinesis API reference.
const (
	maxGetRecordsLimit = 10000              // GetRecords Limit: 1–10,000, 10,000 when not set
	maxPageBytes       = 10 << 20           // a GetRecords page holds at most 10 MiB
	maxListShards      = 1000               // ListShards MaxResults: at most 1,000 shards a page, the default
	maxListShardsLimit = 10000              // larger MaxResults values are invalid
	iteratorLifetime   = 5 * time.Minute    // an iterator is good for 5 minutes
	retentionHours     = 24                 // a new stream's retention period
	seqFormat          = "4959%052d"        // 56 digits, the usual length of a sequence number
	streamARNPrefix    = "arn:aws:kinesis:" // arn:aws:kinesis:<region>:<account>:stream/<name>
)

// Stream is an in-memory Kinesis data stream: shards of records with sequence numbers, paged ListShards,
// iterators of every type, GetRecords pages up to SHARD_END, resharding, trimming and deletion. It is safe for
// concurrent use.
//
// Its Log gets "iterator <ShardIteratorType>" for each iterator handed out by GetShardIterator, "getrecords <n>"
// for each page of n records and "getrecords empty" for each empty page served because of EmptyPages.
type Stream struct {
	// The settings below are read while the stream serves calls: set them before it is used.

	// ShardsPerPage caps the shards of a ListShards page below AWS's 1,000, so that tests exercise paging; 0
	// keeps AWS's limits.
	ShardsPerPage int
	// MaxPageRecords caps the records of a GetRecords page below the request's Limit; 0 keeps AWS's limits
	// (Limit, and 10 MiB of data).
	MaxPageRecords int
	// EmptyPages serves an empty page, with a NextShardIterator at the same position, before each page of
	// records. AWS documents that GetRecords may answer with no records although later ones exist, so that a reader
	// may need several calls to reach them.
	EmptyPages bool
	// TrimmedSequenceNumberError makes an AT_ or AFTER_SEQUENCE_NUMBER iterator for a trimmed sequence number
	// fail with ResourceNotFoundException, as kinesis-mock does. AWS does not document this case; without the
	// setting the iterator starts at the trim horizon, the oldest record still there.
	TrimmedSequenceNumberError bool
	// Log receives the calls served; NewStream gives the stream its own.
	Log *Log
	// Faults fail "ListShards", "GetShardIterator", "GetRecords" and "DescribeStreamSummary" calls on purpose.
	Faults

	mu          sync.Mutex
	name, arn   string
	created     time.Time
	shards      []*shard
	seq         int // sequence numbers handed out, stream-wide
	iterators   map[string]*iterator
	issued      int // iterators handed out
	expiredUpTo int // iterators numbered up to this one have expired
	getRecords  int
	deleted     bool
}

type shard struct {
	id, parent, adjacent string
	recs                 []types.Record // every record put, trimmed ones too: a trimmed number is known as such
	trimmed              int            // recs[:trimmed] are gone
	start, end           string         // the SequenceNumberRange; end is set when the shard closes
	children             []string
}

func (sh *shard) closed() bool { return sh.end != "" }

type iterator struct {
	shard       *shard
	pos         int // index in shard.recs of the next record
	serial      int
	issued      time.Time
	emptyServed bool // EmptyPages: the empty page at pos was served
}

// NewStream returns an active stream with the given ARN (arn:aws:kinesis:<region>:<account>:stream/<name>) and
// open shards shardId-000000000000 onwards. It panics on a malformed ARN, a mistake in the test.
func NewStream(arn string, shards int) *Stream {
	_, name, ok := strings.Cut(arn, ":stream/")
	if !strings.HasPrefix(arn, streamARNPrefix) || !ok || name == "" {
		panic("awsfake: not a Kinesis stream ARN: " + arn)
	}
	s := &Stream{
		Log:    &Log{},
		Faults: newFaults("ListShards", "GetShardIterator", "GetRecords", "DescribeStreamSummary"),
		name:   name, arn: arn, created: time.Now(), iterators: map[string]*iterator{},
	}
	for range shards {
		s.addShard("", "")
	}
	return s
}

// Name returns the stream's name.
func (s *Stream) Name() string { return s.name }

// ARN returns the stream's ARN.
func (s *Stream) ARN() string { return s.arn }

func (s *Stream) addShard(parent, adjacent string) *shard {
	sh := &shard{
		id: fmt.Sprintf("shardId-%012d", len(s.shards)), parent: parent, adjacent: adjacent,
		start: fmt.Sprintf(seqFormat, s.seq+1),
	}
	s.shards = append(s.shards, sh)
	return sh
}

func (s *Stream) shard(id string) *shard {
	for _, sh := range s.shards {
		if sh.id == id {
			return sh
		}
	}
	return nil
}

// Record is a record for Put. An empty SequenceNumber takes the stream's next one (56 digits, increasing across
// the stream, as AWS hands them out); a zero Arrival is now. Arrivals are kept to the millisecond, as Kinesis
// gives them.
type Record struct {
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	Arrival        time.Time
}

// Put appends records to an open shard, as PutRecords with an explicit hash key in the shard's range would, and
// returns their sequence numbers. Sequence numbers given by the test must increase. Put panics on a missing or
// closed shard and on an invalid record: those are mistakes in the test.
func (s *Stream) Put(shardID string, recs ...Record) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shard(shardID)
	if sh == nil || sh.closed() {
		panic("awsfake: put to a missing or closed shard " + shardID)
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		seq := r.SequenceNumber
		if seq == "" {
			s.seq++
			seq = fmt.Sprintf(seqFormat, s.seq)
		}
		if n := len(sh.recs); !seqnum.Valid(seq) || n > 0 && seqnum.Compare(seq, *sh.recs[n-1].SequenceNumber) <= 0 {
			panic(fmt.Sprintf("awsfake: sequence number %q is invalid or not after the shard's last", seq))
		}
		if r.PartitionKey == "" {
			panic("awsfake: a record needs a partition key")
		}
		arrival := r.Arrival
		if arrival.IsZero() {
			arrival = time.Now()
		}
		sh.recs = append(sh.recs, types.Record{
			SequenceNumber:              aws.String(seq),
			PartitionKey:                aws.String(r.PartitionKey),
			Data:                        slices.Clone(r.Data),
			ApproximateArrivalTimestamp: aws.Time(arrival.Truncate(time.Millisecond)),
		})
		out = append(out, seq)
	}
	return out
}

// Split closes an open shard and opens its two children, as SplitShard does, and returns their IDs.
func (s *Stream) Split(shardID string) (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.close(shardID)
	a, b := s.addShard(shardID, ""), s.addShard(shardID, "")
	s.shard(shardID).children = []string{a.id, b.id}
	return a.id, b.id
}

// Merge closes two open shards and opens their child, as MergeShards does (a is the parent, b the adjacent
// parent), and returns its ID.
func (s *Stream) Merge(a, b string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.close(a)
	s.close(b)
	child := s.addShard(a, b)
	s.shard(a).children, s.shard(b).children = []string{child.id}, []string{child.id}
	return child.id
}

// close ends a shard's sequence number range; it stays readable until retention trims it.
func (s *Stream) close(id string) {
	sh := s.shard(id)
	if sh == nil || sh.closed() {
		panic("awsfake: resharding a missing or closed shard " + id)
	}
	sh.end = sh.start
	if n := len(sh.recs); n > 0 {
		sh.end = *sh.recs[n-1].SequenceNumber
	}
}

// Trim drops a shard's oldest n records, as retention does once they are older than the retention period.
// The shard stays listed.
func (s *Stream) Trim(shardID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shard(shardID)
	if sh == nil || n < 0 {
		panic(fmt.Sprintf("awsfake: cannot trim %d records of shard %s", n, shardID))
	}
	sh.trimmed = min(len(sh.recs), sh.trimmed+n)
}

// Delete deletes the stream: from now on every call fails with ResourceNotFoundException.
func (s *Stream) Delete() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted = true
}

// ExpireIterators makes every shard iterator handed out so far expire, as AWS lets them after 5 minutes:
// GetRecords with one fails with ExpiredIteratorException.
func (s *Stream) ExpireIterators() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiredUpTo = s.issued
}

// Records returns the records of a shard that are not trimmed, in order.
func (s *Stream) Records(shardID string) []types.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shard(shardID)
	if sh == nil {
		return nil
	}
	return slices.Clone(sh.recs[sh.trimmed:])
}

// GetRecordsCalls returns how many GetRecords calls the stream received, failed ones included.
func (s *Stream) GetRecordsCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getRecords
}

// serve starts a call of op that names the stream: it fails with an injected fault or when the request does not
// name this stream.
func (s *Stream) serve(op string, name, arn *string) error {
	if err := s.take(op); err != nil {
		return err
	}
	return s.identify(name, arn, true)
}

// identify checks the stream a request names. AWS takes its name, its ARN or both; required says that the
// request must name it.
func (s *Stream) identify(name, arn *string, required bool) error {
	n, a := aws.ToString(name), aws.ToString(arn)
	switch {
	case n == "" && a == "" && required:
		return invalidArgument("either StreamName or StreamARN is required")
	case s.deleted || n != "" && n != s.name || a != "" && a != s.arn:
		return notFound(fmt.Sprintf("Stream %s not found", cmp.Or(a, n)))
	}
	return nil
}

// ListShards lists the shards, closed ones included, in the order they were created, in pages.
func (s *Stream) ListShards(_ context.Context, in *kinesis.ListShardsInput, _ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	if err := s.take("ListShards"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ExclusiveStartShardId != nil || in.ShardFilter != nil || in.StreamCreationTimestamp != nil {
		return nil, invalidArgument("awsfake: ExclusiveStartShardId, ShardFilter and StreamCreationTimestamp are not modelled")
	}
	start := 0
	switch {
	case in.NextToken != nil && in.StreamName != nil:
		return nil, invalidArgument("NextToken and StreamName cannot be provided together")
	case in.NextToken != nil:
		var err error
		if start, err = strconv.Atoi(*in.NextToken); err != nil || start < 0 || start > len(s.shards) {
			return nil, invalidArgument("invalid NextToken")
		}
		if s.deleted {
			return nil, notFound("Stream " + s.name + " not found")
		}
	default:
		if err := s.identify(in.StreamName, in.StreamARN, true); err != nil {
			return nil, err
		}
	}
	size := maxListShards
	if in.MaxResults != nil {
		if m := int(*in.MaxResults); m < 1 || m > maxListShardsLimit {
			return nil, invalidArgument(fmt.Sprintf("MaxResults %d is outside 1–%d", m, maxListShardsLimit))
		}
		size = min(size, int(*in.MaxResults))
	}
	if s.ShardsPerPage > 0 {
		size = min(size, s.ShardsPerPage)
	}
	end := min(len(s.shards), start+size)
	out := &kinesis.ListShardsOutput{Shards: []types.Shard{}}
	for _, sh := range s.shards[start:end] {
		out.Shards = append(out.Shards, sh.describe())
	}
	if end < len(s.shards) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (sh *shard) describe() types.Shard {
	out := types.Shard{ShardId: aws.String(sh.id), SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String(sh.start)}}
	if sh.parent != "" {
		out.ParentShardId = aws.String(sh.parent)
	}
	if sh.adjacent != "" {
		out.AdjacentParentShardId = aws.String(sh.adjacent)
	}
	if sh.closed() {
		out.SequenceNumberRange.EndingSequenceNumber = aws.String(sh.end)
	}
	return out
}

// GetShardIterator returns an iterator of any of the five types.
func (s *Stream) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.serve("GetShardIterator", in.StreamName, in.StreamARN); err != nil {
		return nil, err
	}
	sh := s.shard(aws.ToString(in.ShardId))
	if sh == nil {
		return nil, notFound(fmt.Sprintf("Shard %s in stream %s does not exist", aws.ToString(in.ShardId), s.name))
	}
	pos, err := s.position(sh, in)
	if err != nil {
		return nil, err
	}
	s.Log.Add("iterator " + string(in.ShardIteratorType))
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(s.iterator(sh, pos, false))}, nil
}

// position is where a new iterator starts: the index in sh.recs of the first record it reads.
func (s *Stream) position(sh *shard, in *kinesis.GetShardIteratorInput) (int, error) {
	switch t := in.ShardIteratorType; t {
	case types.ShardIteratorTypeTrimHorizon:
		return sh.trimmed, nil
	case types.ShardIteratorTypeLatest:
		return len(sh.recs), nil
	case types.ShardIteratorTypeAtTimestamp:
		if in.Timestamp == nil {
			return 0, invalidArgument("Timestamp is required with AT_TIMESTAMP")
		}
		i := sh.trimmed
		for i < len(sh.recs) && sh.recs[i].ApproximateArrivalTimestamp.Before(*in.Timestamp) {
			i++
		}
		return i, nil
	case types.ShardIteratorTypeAtSequenceNumber, types.ShardIteratorTypeAfterSequenceNumber:
		want := aws.ToString(in.StartingSequenceNumber)
		if !seqnum.Valid(want) {
			return 0, invalidArgument(fmt.Sprintf("StartingSequenceNumber %q is not a sequence number", want))
		}
		// Numerically: sequence numbers of different lengths do not order as strings.
		i, found := slices.BinarySearchFunc(sh.recs, want, func(r types.Record, w string) int { return seqnum.Compare(*r.SequenceNumber, w) })
		if found && t == types.ShardIteratorTypeAfterSequenceNumber {
			i++
		}
		if i < sh.trimmed {
			if s.TrimmedSequenceNumberError {
				return 0, notFound("Unable to find record with provided SequenceNumber " + want)
			}
			i = sh.trimmed
		}
		return i, nil
	}
	return 0, invalidArgument(fmt.Sprintf("ShardIteratorType %q is not valid", in.ShardIteratorType))
}

func (s *Stream) iterator(sh *shard, pos int, emptyServed bool) string {
	s.issued++
	id := fmt.Sprintf("%s/%d", sh.id, s.issued)
	s.iterators[id] = &iterator{shard: sh, pos: pos, serial: s.issued, issued: time.Now(), emptyServed: emptyServed}
	return id
}

// GetRecords returns the next page of a shard: up to Limit records and 10 MiB, with the iterator for the next
// page, or, at the end of a closed shard, no iterator and the child shards.
func (s *Stream) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.getRecords++
	if err := s.take("GetRecords"); err != nil {
		return nil, err
	}
	it, limit, err := s.readable(in)
	if err != nil {
		return nil, err
	}
	if s.MaxPageRecords > 0 {
		limit = min(limit, s.MaxPageRecords)
	}
	sh := it.shard
	if s.EmptyPages && !it.emptyServed && it.pos < len(sh.recs) {
		s.Log.Add("getrecords empty")
		return &kinesis.GetRecordsOutput{
			Records: []types.Record{}, NextShardIterator: aws.String(s.iterator(sh, it.pos, true)),
			MillisBehindLatest: aws.Int64(sh.behind(it.pos)),
		}, nil
	}
	end, size := it.pos, 0
	for end < len(sh.recs) && end-it.pos < limit {
		size += len(sh.recs[end].Data) + len(*sh.recs[end].PartitionKey)
		if end > it.pos && size > maxPageBytes {
			break
		}
		end++
	}
	out := &kinesis.GetRecordsOutput{Records: slices.Clone(sh.recs[it.pos:end]), MillisBehindLatest: aws.Int64(sh.behind(end))}
	if sh.closed() && end == len(sh.recs) {
		for _, c := range sh.children { // SHARD_END: no next iterator
			out.ChildShards = append(out.ChildShards, types.ChildShard{ShardId: aws.String(c), ParentShards: s.shard(c).parents()})
		}
	} else {
		out.NextShardIterator = aws.String(s.iterator(sh, end, false))
	}
	s.Log.Add(fmt.Sprintf("getrecords %d", end-it.pos))
	return out, nil
}

// readable checks a GetRecords request and returns its iterator and record limit.
func (s *Stream) readable(in *kinesis.GetRecordsInput) (*iterator, int, error) {
	if err := s.identify(nil, in.StreamARN, false); err != nil {
		return nil, 0, err
	}
	it := s.iterators[aws.ToString(in.ShardIterator)]
	switch {
	case it == nil:
		return nil, 0, invalidArgument(fmt.Sprintf("Invalid ShardIterator %q", aws.ToString(in.ShardIterator)))
	case it.serial <= s.expiredUpTo || time.Since(it.issued) > iteratorLifetime:
		return nil, 0, &types.ExpiredIteratorException{Message: aws.String("Iterator expired")}
	}
	limit := maxGetRecordsLimit
	if in.Limit != nil {
		limit = int(*in.Limit)
		if limit < 1 || limit > maxGetRecordsLimit {
			return nil, 0, invalidArgument(fmt.Sprintf("Limit %d is outside 1–%d", limit, maxGetRecordsLimit))
		}
	}
	return it, limit, nil
}

func (sh *shard) parents() []string {
	if sh.adjacent != "" {
		return []string{sh.parent, sh.adjacent}
	}
	return []string{sh.parent}
}

// behind is MillisBehindLatest for a reader at pos: 0 at the tip of the shard, else the age of the next record
// (at least 1 ms).
func (sh *shard) behind(pos int) int64 {
	if pos >= len(sh.recs) {
		return 0
	}
	return max(1, time.Since(*sh.recs[pos].ApproximateArrivalTimestamp).Milliseconds())
}

// DescribeStreamSummary describes the stream: active, provisioned, unencrypted, with the default retention.
func (s *Stream) DescribeStreamSummary(_ context.Context, in *kinesis.DescribeStreamSummaryInput, _ ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.serve("DescribeStreamSummary", in.StreamName, in.StreamARN); err != nil {
		return nil, err
	}
	open := 0
	for _, sh := range s.shards {
		if !sh.closed() {
			open++
		}
	}
	return &kinesis.DescribeStreamSummaryOutput{StreamDescriptionSummary: &types.StreamDescriptionSummary{
		StreamName: aws.String(s.name), StreamARN: aws.String(s.arn), StreamStatus: types.StreamStatusActive,
		StreamModeDetails:    &types.StreamModeDetails{StreamMode: types.StreamModeProvisioned},
		RetentionPeriodHours: aws.Int32(retentionHours), StreamCreationTimestamp: aws.Time(s.created),
		EnhancedMonitoring: []types.EnhancedMetrics{}, EncryptionType: types.EncryptionTypeNone,
		OpenShardCount: aws.Int32(int32(open)),
	}}, nil
}

func invalidArgument(msg string) error {
	return &types.InvalidArgumentException{Message: aws.String(msg)}
}

func notFound(msg string) error {
	return &types.ResourceNotFoundException{Message: aws.String(msg)}
}
