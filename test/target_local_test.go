package test

import (
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/random"

	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// localTarget deploys pipelines into one set of emulators shared by the scenarios: each pipeline has its own
// stream, bucket, queue, function processes and event source mapping (local/pipeline).
type localTarget struct {
	stack *emulators.Stack
}

// newLocalTarget starts the emulators for the duration of t (the parent of the scenarios).
func newLocalTarget(t *testing.T) *localTarget {
	return &localTarget{stack: emulators.StartT(t, emulators.Options{})}
}

func (*localTarget) Name() string { return "local" }

// InjectsS3Faults is true: every local deployment has a fault proxy between the function and S3.
func (*localTarget) InjectsS3Faults() bool { return true }

func (l *localTarget) Deploy(t *testing.T, ps PipelineSettings) *Deployment {
	t.Helper()
	s := pipeline.DefaultSettings()
	s.Name = "e2e-" + strings.ToLower(random.UniqueId())
	if ps.OutputMode != "" {
		s.OutputMode = ps.OutputMode
	}
	if ps.Compression != "" {
		s.Compression = ps.Compression
	}
	if ps.OnInvalidRecord != "" {
		s.OnInvalidRecord = ps.OnInvalidRecord
	}
	if ps.Shards > 0 {
		s.Shards = ps.Shards
	}
	if ps.BatchSize > 0 {
		s.ESM.BatchSize = ps.BatchSize
	}
	if ps.Format != "" {
		s.Format = ps.Format
	}
	s.SchemaFile, s.Transform, s.TimeField, s.PartitionKeys = ps.SchemaFile, ps.Transform, ps.TimeField, ps.PartitionKeys
	s.ESM.MaximumBatchingWindow = ps.BatchingWindow
	if ps.MaximumRetryAttempts > 0 {
		s.ESM.MaximumRetryAttempts = ps.MaximumRetryAttempts
	}
	// Lambda polls an idle shard once a second; a quarter of that keeps the suite short without changing what
	// is tested (batching, windows and retries are unchanged).
	s.ESM.PollInterval = 250 * time.Millisecond
	s.LogLevel = "WARN" // the function logs a line per batch at INFO

	logDir := t.TempDir()
	p, err := pipeline.Start(t.Context(), pipeline.Options{
		Settings: s, Stack: l.stack, S3Faults: !ps.WithoutFaults, LogDir: logDir, Paused: ps.Paused,
		ESMOptions: []esm.Option{esm.WithRetryBackoff(50*time.Millisecond, 2*time.Second)},
	})
	if err != nil {
		t.Fatalf("local pipeline: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("local pipeline %s: %v", s.Name, err)
		}
		if t.Failed() {
			emulators.DumpLogs(t, p.Function.LogFiles()...)
		}
	})
	logger.Default.Logf(t, "local pipeline %s: %s, %d shards, batch size %d, window %s, %d retries", s.Name, s.OutputMode,
		s.Shards, s.ESM.BatchSize, s.ESM.MaximumBatchingWindow, s.ESM.MaximumRetryAttempts)
	var faults S3Faults
	if p.Faults != nil {
		faults = proxyFaults{p.Faults}
	}
	return &Deployment{
		Name: s.Name, StreamName: p.StreamName, StreamARN: p.StreamARN, Bucket: p.Bucket, DLQURL: p.QueueURL,
		Kinesis: p.Kinesis, S3: p.S3, SQS: p.SQS, Env: l.stack.Env(),
		Layout:       s.Layout(),
		Patience:     90 * time.Second,
		Faults:       faults,
		MappingStats: p.Mapping.Stats,
		Resume:       func(context.Context) error { p.Resume(); return nil },
		Processes:    func() (map[string][]int, error) { return processes(p) },
	}
}

// processes are the pipeline's processes by component. The emulators are shared by the scenarios; the function's
// RIEs come with their bootstraps; this test process runs the event source mapping and the fault proxy.
func processes(p *pipeline.Pipeline) (map[string][]int, error) {
	fn, err := emulators.Descendants(p.Function.PIDs())
	if err != nil {
		return nil, err
	}
	test := "test process (mapping)"
	if p.Faults != nil {
		test = "test process (mapping, fault proxy)"
	}
	m := map[string][]int{"function (RIEs and bootstraps)": fn, test: {os.Getpid()}}
	for name, pid := range p.Stack.ProcessIDs() {
		m[name] = []int{pid}
	}
	return m, nil
}

// proxyFaults drives the fault proxy between the local function and S3.
type proxyFaults struct{ p *faultproxy.Proxy }

func (f proxyFaults) FailPuts(share float64) {
	f.p.Reset()
	f.p.Fail(func(r faultproxy.Request) bool { return r.IsObjectPut() && rand.Float64() < share }, faultproxy.SlowDown, 0)
}

func (f proxyFaults) Restore() { f.p.Reset() }

func (f proxyFaults) Injected() int {
	return f.p.Count(func(e faultproxy.Entry) bool { return e.Injected })
}
