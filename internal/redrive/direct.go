package redrive

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/event"
	"github.com/kinesis2s3/kinesis2s3/function/process"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// Direct reprocesses records in-process with the handler's own core (function/process), so the objects land
// under exactly the keys the function would have written: redriving twice overwrites the same objects.
type Direct struct {
	proc      *process.Processor
	onInvalid string
	memoryMB  int
}

// NewDirect returns a reprocessor that runs the handler's core with cfg (the function's configuration; opts pass
// its analytics settings, loaded as the function loads them) and
// writes through w (an s3writer.Writer in production). log receives the core's warnings, such as invalid
// records; nil discards them.
func NewDirect(cfg config.Config, w process.Writer, log *slog.Logger, opts ...process.Option) (*Direct, error) {
	proc, err := process.New(cfg, recording(w), log, opts...)
	if err != nil {
		return nil, err
	}
	return &Direct{proc: proc, onInvalid: cfg.OnInvalidRecord, memoryMB: cfg.MemoryMB}, nil
}

// Reprocess encodes recs as the Kinesis event Lambda would send and decodes it as the function does
// (function/event), so the core sees the same values (arrival times included, which name batch-mode objects);
// then it processes them. Records before the first one the core reports are durably handled.
func (d *Direct) Reprocess(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
	payload, err := kinesisevent.Encode(src, recs)
	if err != nil {
		return Result{}, err
	}
	records, err := new(event.Decoder).Decode(payload)
	if err != nil {
		return Result{}, fmt.Errorf("decode event: %w", err)
	}
	errs := &firstError{}
	resp, m, err := d.proc.Process(context.WithValue(ctx, firstErrorKey{}, errs), records)
	if err != nil {
		return Result{}, fmt.Errorf("process: %w", err)
	}
	res := Result{Handled: len(recs), Detailed: true, Written: m.RecordsWritten, Quarantined: m.RecordsQuarantined, Skipped: m.RecordsSkipped}
	if len(resp.BatchItemFailures) == 0 {
		return res, nil
	}
	seqs := make([]string, len(recs))
	for i, r := range recs {
		seqs[i] = r.SequenceNumber
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return Result{}, fmt.Errorf("encode batch response: %w", err)
	}
	first, err := kinesisevent.ParseResponse(body, seqs)
	if err != nil {
		return Result{}, fmt.Errorf("batch response: %w", err)
	}
	res.Handled = first
	reason := errs.get()
	if reason == nil && d.onInvalid == config.InvalidFail {
		reason = fmt.Errorf("record %s is invalid and ON_INVALID_RECORD=%s", seqs[first], config.InvalidFail)
	} else if reason == nil {
		// No write failed: the core stopped where the invocation's memory budget or its deadline ended.
		reason = fmt.Errorf("the handler stopped at record %s, where its per-invocation budget (memory %d MB, or the "+
			"deadline) ends", seqs[first], d.memoryMB)
	}
	return res, reason
}

// errorRecorder passes writes on and notes the first failure in the Reprocess call it belongs to, found
// through the context, so that a kept message says why.
type errorRecorder struct{ w process.Writer }

// readingRecorder is an errorRecorder that also passes reads on, for a writer that can read (s3writer.Writer): the
// core resumes a large KPL aggregate from the function's progress marker only when its writer is a process.Reader.
// A failed read is not recorded: no marker is the usual case, and the core then starts the aggregate over.
type readingRecorder struct {
	errorRecorder
	r process.Reader
}

func (r readingRecorder) Get(ctx context.Context, key string) ([]byte, error) {
	return r.r.Get(ctx, key)
}

// recording wraps w in an errorRecorder that is a process.Reader exactly when w is one.
func recording(w process.Writer) process.Writer {
	if r, ok := w.(process.Reader); ok {
		return readingRecorder{errorRecorder{w}, r}
	}
	return errorRecorder{w}
}

type firstErrorKey struct{}

type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (e errorRecorder) Put(ctx context.Context, key string, body []byte, contentType string) error {
	err := e.w.Put(ctx, key, body, contentType)
	if f, ok := ctx.Value(firstErrorKey{}).(*firstError); ok && err != nil {
		f.mu.Lock()
		if f.err == nil {
			f.err = err
		}
		f.mu.Unlock()
	}
	return err
}
