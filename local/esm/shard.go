package esm

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// maxGetRecords is Kinesis's largest GetRecords Limit.
const maxGetRecords = 10000

// maxDoneAhead bounds the records a shard holds done but behind the checkpoint (a lane waiting on an earlier
// record holds it). It is a shard's write limit (1,000 records/s) over the longest batching window (300 s), so a
// lane waiting out its window does not slow the others below the rate a shard can be written at; done records
// keep no data, so that is some tens of MB at most.
const maxDoneAhead = 1000 * 300

// record is one Kinesis record read from a shard, with its encoded event.
type record struct {
	seq, partitionKey, encryptionType string
	data                              []byte // dropped once event is encoded
	arrival                           time.Time
	event                             []byte
	lane                              int
	done                              bool // guarded by shard.mu
}

// shard is one shard's poller state: records read and not yet checkpointed, split into lanes.
type shard struct {
	id       string
	parents  []string
	waitFor  []<-chan struct{} // parents' ended channels
	position string            // iterator type to start at
	skip     bool              // nothing to read (closed before a LATEST start)
	ended    chan struct{}     // closed when the shard is done (or skipped)

	space chan struct{} // signalled when records complete, for the reader's backpressure

	mu         sync.Mutex
	lanes      []*lane
	pending    []*record // read and not yet checkpointed, in sequence order
	undone     int       // pending records not yet done
	checkpoint string
	lastRead   string
	readerDone bool // SHARD_END reached
	shardEnd   bool // readerDone and every record done
}

// lane is one of ParallelizationFactor queues of a shard. Records with the same partition key always go to
// the same lane, whose batches run one at a time, so they stay in order.
type lane struct {
	idx    int
	buf    []*record // guarded by shard.mu
	closed bool      // guarded by shard.mu: no more records will come
	notify chan struct{}
}

func newShard(id string, lanes int) *shard {
	sh := &shard{id: id, ended: make(chan struct{}), space: make(chan struct{}, 1)}
	for i := range lanes {
		sh.lanes = append(sh.lanes, &lane{idx: i, notify: make(chan struct{}, 1)})
	}
	return sh
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// laneOf hashes a partition key to a lane.
func laneOf(partitionKey string, lanes int) int {
	h := fnv.New32a()
	h.Write([]byte(partitionKey))
	return int(h.Sum32() % uint32(lanes))
}

// add queues freshly read records on the shard and their lanes.
func (sh *shard) add(recs []*record) {
	if len(recs) == 0 {
		return
	}
	sh.mu.Lock()
	sh.pending = append(sh.pending, recs...)
	sh.undone += len(recs)
	sh.lastRead = recs[len(recs)-1].seq
	touched := make(map[*lane]bool)
	for _, r := range recs {
		l := sh.lanes[r.lane]
		l.buf = append(l.buf, r)
		touched[l] = true
	}
	sh.mu.Unlock()
	for l := range touched {
		signal(l.notify)
	}
}

// closeLanes tells the lanes that no more records will come; atEnd says the shard reached SHARD_END.
func (sh *shard) closeLanes(atEnd bool) {
	sh.mu.Lock()
	sh.readerDone = sh.readerDone || atEnd
	for _, l := range sh.lanes {
		l.closed = true
	}
	sh.mu.Unlock()
	for _, l := range sh.lanes {
		signal(l.notify)
	}
}

// complete marks records done, drops their events (never sent again) and moves the checkpoint over the done
// prefix of the pending records. It returns the new checkpoint, or "" when it did not move. It wakes the reader
// either way: its read-ahead counts the records not yet done.
func (sh *shard) complete(recs []*record) string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	defer signal(sh.space)
	for _, r := range recs {
		if !r.done {
			r.done, r.event = true, nil
			sh.undone--
		}
	}
	n := 0
	for n < len(sh.pending) && sh.pending[n].done {
		n++
	}
	if n == 0 {
		return ""
	}
	sh.checkpoint = sh.pending[n-1].seq
	clear(sh.pending[:n])
	sh.pending = sh.pending[n:]
	return sh.checkpoint
}

// full says whether the reader must wait: readAhead records read and not yet done, or maxDoneAhead done ones held
// behind the checkpoint.
func (sh *shard) full(readAhead int) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.undone >= readAhead || len(sh.pending)-sh.undone >= maxDoneAhead
}

// finish records whether the shard is fully processed, once its reader and lanes have stopped.
func (sh *shard) finish() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.shardEnd = sh.readerDone && len(sh.pending) == 0
	return sh.shardEnd
}

func (sh *shard) checkpointNow() Checkpoint {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return Checkpoint{SequenceNumber: sh.checkpoint, ShardEnd: sh.shardEnd}
}

// runShard waits for the shard's parents, then reads it and runs its lanes until SHARD_END or ctx is done.
func (m *Mapping) runShard(ctx context.Context, sh *shard) {
	if sh.skip {
		close(sh.ended)
		return
	}
	for _, parent := range sh.waitFor {
		select {
		case <-parent:
		case <-ctx.Done():
			return
		}
	}
	m.stats.shardsStarted.Add(1)
	m.emit(Event{Type: ShardStarted, ShardID: sh.id, Position: sh.position})

	var lanes sync.WaitGroup
	for _, l := range sh.lanes {
		lanes.Add(1)
		go func() {
			defer lanes.Done()
			m.runLane(ctx, sh, l)
		}()
	}
	m.readShard(ctx, sh)
	lanes.Wait()
	if sh.finish() {
		m.stats.shardsEnded.Add(1)
		m.emit(Event{Type: ShardEnded, ShardID: sh.id, LastSequenceNumber: sh.checkpointNow().SequenceNumber})
		close(sh.ended)
		signal(m.rediscover) // its children are listed by now
	}
}

// readShard polls the shard with GetRecords and hands the records to the lanes, until SHARD_END or ctx is
// done. It closes the lanes when it returns.
func (m *Mapping) readShard(ctx context.Context, sh *shard) {
	atEnd := false
	defer func() { sh.closeLanes(atEnd) }()

	// Read ahead enough for every lane to fill a batch while the last ones run; GetRecords' Limit is capped, the
	// read-ahead is not (capped too, it would leave every lane short of a batch when BatchSize × factor > 10,000).
	readAhead := 2 * m.cfg.BatchSize * m.cfg.ParallelizationFactor
	limit := min(maxGetRecords, readAhead)
	// A LATEST iterator starts at the tip as it is when taken; started is that moment (to the millisecond, like
	// arrival times), from which an iterator that expires before a record is read resumes.
	started := time.Now().Truncate(time.Millisecond)
	iterator, ok := m.shardIterator(ctx, sh, sh.position, m.cfg.StartingPositionTimestamp, "")
	if !ok {
		return
	}
	backoff := m.backoffMin
	for {
		// Backpressure: read on only when the lanes have taken in what was read.
		for sh.full(readAhead) {
			select {
			case <-sh.space:
			case <-ctx.Done():
				return
			}
		}
		out, err := m.kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(iterator), Limit: aws.Int32(int32(limit))})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.stats.readErrors.Add(1)
			m.emit(Event{Type: ReadError, ShardID: sh.id, Err: fmt.Errorf("get records: %w", err)})
			var expired *types.ExpiredIteratorException
			if errors.As(err, &expired) {
				// Resume right after the last record read, or where we started if none was: LATEST again would skip
				// what arrived since the first iterator, so from the time it was taken.
				sh.mu.Lock()
				last := sh.lastRead
				sh.mu.Unlock()
				position, at := sh.position, m.cfg.StartingPositionTimestamp
				if position == Latest {
					position, at = AtTimestamp, started
				}
				if iterator, ok = m.shardIterator(ctx, sh, position, at, last); !ok {
					return
				}
				continue
			}
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, m.backoffMax)
			continue
		}
		backoff = m.backoffMin
		recs, err := m.convert(sh, out.Records)
		if err != nil { // not expected: the event holds only strings, bytes and a time
			m.emit(Event{Type: ReadError, ShardID: sh.id, Err: err})
			return // stop this shard without checkpointing the record
		}
		sh.add(recs)
		if out.NextShardIterator == nil || *out.NextShardIterator == "" {
			atEnd = true
			return
		}
		iterator = *out.NextShardIterator
		if len(out.Records) == 0 && !sleep(ctx, m.cfg.PollInterval) {
			return
		}
	}
}

// shardIterator gets an iterator at position (at the time at for AT_TIMESTAMP), or right after afterSeq when it
// is set, retrying until ctx is done.
func (m *Mapping) shardIterator(ctx context.Context, sh *shard, position string, at time.Time, afterSeq string) (string, bool) {
	in := &kinesis.GetShardIteratorInput{
		StreamName:        aws.String(m.streamName),
		ShardId:           aws.String(sh.id),
		ShardIteratorType: types.ShardIteratorType(position),
	}
	switch {
	case afterSeq != "":
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = aws.String(afterSeq)
	case position == AtTimestamp:
		in.Timestamp = aws.Time(at)
	}
	backoff := m.backoffMin
	for {
		out, err := m.kinesis.GetShardIterator(ctx, in)
		if err == nil && aws.ToString(out.ShardIterator) != "" {
			return *out.ShardIterator, true
		}
		if ctx.Err() != nil {
			return "", false
		}
		if err == nil {
			err = errors.New("no iterator returned")
		}
		m.stats.readErrors.Add(1)
		m.emit(Event{Type: ReadError, ShardID: sh.id, Err: fmt.Errorf("get shard iterator %s: %w", in.ShardIteratorType, err)})
		if !sleep(ctx, backoff) {
			return "", false
		}
		backoff = min(2*backoff, m.backoffMax)
	}
}

// convert encodes Kinesis records as event records and assigns their lanes.
func (m *Mapping) convert(sh *shard, in []types.Record) ([]*record, error) {
	out := make([]*record, 0, len(in))
	for _, kr := range in {
		r := &record{
			seq:            aws.ToString(kr.SequenceNumber),
			partitionKey:   aws.ToString(kr.PartitionKey),
			encryptionType: string(kr.EncryptionType),
			data:           kr.Data,
			arrival:        aws.ToTime(kr.ApproximateArrivalTimestamp),
		}
		if r.arrival.IsZero() {
			r.arrival = time.Now()
		}
		ev, err := m.src.EncodeRecord(kinesisevent.Record{
			ShardID: sh.id, SequenceNumber: r.seq, PartitionKey: r.partitionKey,
			Data: r.data, Arrival: r.arrival, EncryptionType: r.encryptionType,
		})
		if err != nil {
			return nil, fmt.Errorf("encode record %s: %w", r.seq, err)
		}
		r.event, r.data = ev, nil
		r.lane = laneOf(r.partitionKey, len(sh.lanes))
		out = append(out, r)
	}
	m.stats.recordsRead.Add(int64(len(out)))
	return out, nil
}
