// Package handler is what the Lambda runtime invokes: it takes each invocation's raw payload (the lambda.Handler
// interface of aws-lambda-go), decodes the Kinesis event with function/event, hands the records to the core
// (function/process), logs one summary line and prints the metrics, and answers with the partial-batch response.
//
// Taking the payload as bytes, rather than a handler function of events.KinesisEvent that the runtime would fill by
// reflection, is what lets the event be decoded at the speed of the rest of the invocation.
package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/event"
	"github.com/kinesis2s3/kinesis2s3/function/process"
)

// Handler handles invocations. It is safe for concurrent use.
type Handler struct {
	proc     *process.Processor
	log      *slog.Logger
	function string    // the FunctionName dimension of the metrics
	metrics  io.Writer // where the Embedded Metric Format line goes: stdout in Lambda
	decoders sync.Pool // *event.Decoder, whose working memory and record table are kept from one invocation to the next
	// MetricsLevel is the "level" of the metrics line (config.MetricsLevel); "" means INFO.
	MetricsLevel string
	// CollectAfter is how many bytes an invocation may allocate before it runs the garbage collector as it ends
	// (budget.Budget.CollectAfter); 0 never does.
	CollectAfter int64
}

// New returns a Handler that processes events with proc, logs to log (nil discards) and writes one metrics line per
// invocation to metrics, named after the function.
func New(proc *process.Processor, log *slog.Logger, function string, metrics io.Writer) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{proc: proc, log: log, function: function, metrics: metrics}
}

// Invoke handles one invocation: payload is the Kinesis event as Lambda sends it, and the result the JSON of the
// partial-batch response. An error fails the whole invocation: only a malformed event does that.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	allocated := h.allocated()
	d, _ := h.decoders.Get().(*event.Decoder)
	if d == nil {
		d = new(event.Decoder)
	}
	records, err := d.Decode(payload)
	decoded := time.Now()
	if err != nil {
		h.decoders.Put(d)
		h.log.Error("event rejected", "error", err.Error(), "bytes", len(payload))
		return nil, err
	}
	resp, m, err := h.proc.Process(ctx, records)
	// Process has returned, on an error too, and refers to the records no more: its writes are over, and what it
	// returns holds strings, whose bytes the decoder does not reuse. The next invocation reads its records into
	// the same table. Not deferred: after a panic, the decoder is not reused.
	d.Release()
	h.decoders.Put(d)
	if h.CollectAfter > 0 && h.allocated()-allocated > h.CollectAfter {
		// What this invocation decoded is garbage now. Collected here, it cannot pile up under the next
		// invocation's live heap, where the collector, short of CPU, may let the heap overshoot its limit.
		runtime.GC()
	}
	// The metrics line goes to stdout on its own, where CloudWatch Logs picks up Embedded Metric Format.
	level := h.MetricsLevel
	if level == "" {
		level = "INFO"
	}
	fmt.Fprintf(h.metrics, "%s\n", m.EMF(h.function, level, time.Now()))
	attrs := []any{"records", m.Records, "userRecords", m.UserRecords, "written", m.RecordsWritten,
		"quarantined", m.RecordsQuarantined, "skipped", m.RecordsSkipped, "dropped", m.RecordsDropped,
		"eventTimesMissing", m.EventTimesMissing, "failed", m.RecordsFailed,
		"objects", m.ObjectsWritten, "bytesIn", m.BytesIn, "bytesWritten", m.BytesWritten,
		"maxArrivalAgeMs", m.MaxArrivalAge.Milliseconds(), "durationMs", time.Since(start).Milliseconds()}
	h.log.Debug("invocation phases", "eventMs", ms(decoded.Sub(start)), "decodeMs", ms(m.Took.Decode),
		"encodeMs", ms(m.Took.Encode), "writeWaitMs", ms(m.Took.WriteWait), "totalMs", ms(time.Since(start)))
	switch {
	case err != nil:
		h.log.Error("batch rejected", append(attrs, "error", err.Error())...)
		return nil, err
	case len(resp.BatchItemFailures) > 0:
		h.log.Warn("batch partly processed; Lambda retries from the reported record",
			append(attrs, "retryFrom", resp.BatchItemFailures[0].ItemIdentifier)...)
	default:
		h.log.Info("batch processed", attrs...)
	}
	return json.Marshal(resp) // a list of sequence numbers: cannot fail
}

// allocated returns the bytes the process has allocated so far (all goroutines: an estimate for one invocation
// when invocations run concurrently, which the Lambda runtime does not do).
func (h *Handler) allocated() int64 {
	if h.CollectAfter <= 0 {
		return 0
	}
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// ms is a duration in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
