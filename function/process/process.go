// Package process is the record-processing core of the handler: it turns one Kinesis batch into S3 writes,
// quarantines invalid records, and answers with a partial-batch response that follows Kinesis checkpoint semantics.
// It performs no I/O itself: objects go through a Writer, so the same core runs in Lambda, in the redrive tool and
// in tests. What one invocation may hold is bounded by the budget of the function's memory size (function/budget).
package process

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
)

// Writer stores one object. It must be safe for concurrent use; an error means the object may not be durable.
type Writer interface {
	Put(ctx context.Context, key string, body []byte, contentType string) error
}

// Reader reads back an object. A Writer that also implements Reader lets record mode resume a large KPL aggregate
// where an earlier invocation stopped (see Processor.resume); without it every attempt starts the aggregate over.
type Reader interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// Processor processes Kinesis batches. It is safe for concurrent use.
type Processor struct {
	cfg        config.Config
	budget     budget.Budget
	w          Writer
	log        *slog.Logger
	now        func() time.Time
	encoders   sync.Pool // *layout.Encoder, reused across invocations
	unitTables sync.Pool // *[]unit, reused across invocations (see unitTable)
	shape      shape.Options
	parquets   sync.Pool       // *layout.Parquet, reused across invocations
	columns    []schema.Column // FORMAT=parquet: the columns of the schema

	// beforeShape, when set (by tests only), is called with each user record before it is shaped: a test can end
	// the invocation at a chosen record, whatever the time the records before it took.
	beforeShape func(data []byte)
}

// Option configures a Processor.
type Option func(*Processor)

// WithShape gives the Processor the analytics settings, compiled and loaded by shape.Load (the bootstrap reads
// the schema from S3). Without it, New loads them itself, reading SCHEMA from a file only.
func WithShape(o shape.Options) Option { return func(p *Processor) { p.shape = o } }

// New returns a Processor writing through w, within the budget of cfg.MemoryMB. A nil logger discards logs. It
// fails for analytics settings that do not load, and for a compression that config.Load would have rejected.
func New(cfg config.Config, w Writer, log *slog.Logger, opts ...Option) (*Processor, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxPartitions <= 0 { // a Config made by hand rather than by config.Load
		cfg.MaxPartitions = config.DefaultMaxPartitions
	}
	p := &Processor{cfg: cfg, budget: budget.For(cfg.MemoryMB), w: w, log: log, now: time.Now}
	for _, o := range opts {
		o(p)
	}
	if !p.shape.Enabled() {
		var err error
		if p.shape, err = shape.Load(context.Background(), cfg, nil); err != nil {
			return nil, err
		}
	}
	if cfg.OutputMode != config.ModeBatch {
		return p, nil
	}
	if cfg.Format == config.FormatParquet {
		if p.shape.Schema == nil {
			return nil, fmt.Errorf("%s=%s needs %s", config.EnvFormat, cfg.Format, config.EnvSchema)
		}
		p.columns = p.shape.Schema.Columns(p.shape.PartitionColumns())
		if p.columns == nil {
			return nil, fmt.Errorf("%s=%s: %s must describe objects (\"type\": \"object\"): its properties are the columns",
				config.EnvFormat, cfg.Format, config.EnvSchema)
		}
		pq, err := layout.NewParquet(p.columns, cfg.Compression)
		if err != nil {
			return nil, err
		}
		p.parquets.Put(pq)
		return p, nil
	}
	if p.shape.Schema != nil {
		// The catalog's records table over these JSON Lines has the schema's columns: a record it cannot read as
		// the schema validated it is invalid (schema.ForJSONLines).
		p.shape.Schema = p.shape.Schema.ForJSONLines(p.shape.PartitionColumns())
	}
	enc, err := layout.NewEncoder(cfg.Compression)
	if err != nil {
		return nil, err
	}
	p.encoders.Put(enc)
	return p, nil
}

func (p *Processor) parquetEncoder() (*layout.Parquet, error) {
	if pq, ok := p.parquets.Get().(*layout.Parquet); ok {
		return pq, nil
	}
	return layout.NewParquet(p.columns, p.cfg.Compression)
}

// Process handles one batch. The response reports the first record, in shard order, that is not durably handled
// (written or quarantined); everything before it is durable. Records are left for the next invocation from the
// first one that the invocation's budget cannot hold, that the deadline leaves no time for, or that the fail policy
// rejects. A malformed event (a record without a valid sequence number, which Lambda never sends) is an error,
// since no checkpoint can be reported for it.
func (p *Processor) Process(ctx context.Context, records []events.KinesisEventRecord) (events.KinesisEventResponse, Metrics, error) {
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	var m Metrics
	if len(records) == 0 {
		return resp, m, nil
	}
	work, cancel := withReserve(ctx, 1)
	defer cancel()
	save, cancelSave := withReserve(ctx, 0.5) // computed now: the reserve is a share of the whole invocation
	defer cancelSave()
	start := time.Now()
	units, cut, err := p.decode(work, records, &m)
	if err != nil {
		return resp, m, err
	}
	// Nothing refers to the units once Process returns: the writes are over (up.wait) and the jobs, which the
	// writers read, hold indexes, not units.
	defer p.recycleUnits(units)
	p.resume(work, units[:cut])
	encoding := time.Now()
	m.Took.Decode = encoding.Sub(start)
	jobs, spans, up, err := p.jobs(work, units[:cut])
	waiting := time.Now()
	m.Took.Encode = waiting.Sub(encoding)
	up.wait(jobs)
	m.Took.WriteWait = time.Since(waiting)
	if err != nil {
		return resp, m, err
	}

	first := checkpoint(units[:cut], jobs, spans)
	if first < len(units) {
		seq := units[first].rec.Kinesis.SequenceNumber
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: seq})
		m.RecordsFailed = len(units) - first
	}
	kept := 0 // user records of units[first] that the retry will not handle again (see resume)
	if first < cut {
		kept = p.saveProgress(save, units[first], jobs)
	}
	m.count(units[:cut], jobs, first, kept, p.cfg.OnInvalidRecord)
	return resp, m, nil
}
