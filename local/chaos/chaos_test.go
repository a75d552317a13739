package chaos

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/local/emulators"
)

// TestChaos is `make chaos` at a tenth of the volume: 10,000 Kinesis records per mode, with every fault — S3
// failing at random, a runtime killed and one frozen into its timeout mid-invocation, an S3 outage that sends ranges
// to the DLQ, pipelinectl redrive as a process — and then the ledger's verdict on the bucket. The brown-out is
// shorter than make chaos's, to spare the suite the minutes record mode spends in it.
func TestChaos(t *testing.T) {
	emulators.SkipIfShort(t)
	cfg := DefaultConfig()
	cfg.Records = 10_000
	cfg.BrownOut = 30 * time.Second
	cfg.ModeTimeout = 6 * time.Minute
	cfg.Schema = "../../" + cfg.Schema // the test runs in local/chaos
	cfg.Pipelinectl = filepath.Join(t.TempDir(), "pipelinectl")
	if out, err := exec.Command("go", "build", "-o", cfg.Pipelinectl, "github.com/kinesis2s3/kinesis2s3/cmd/pipelinectl").CombinedOutput(); err != nil {
		t.Fatalf("go build pipelinectl: %v\n%s", err, out)
	}
	cfg.LogDir = t.TempDir()
	out := &testLog{t: t}
	cfg.Out = out
	results, err := Run(t.Context(), cfg)
	out.flush()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(Modes) {
		t.Fatalf("%d results, want one per mode", len(results))
	}
	for _, r := range results {
		// Run's verdict covers these; checked here too, so that a change to it cannot quietly weaken the test.
		if r.Lost != 0 || len(r.Problems) != 0 || r.Written+r.Quarantined+r.Dropped != r.UserRecords || r.OnFailureLeft != 0 ||
			r.Faults.Killed == 0 || r.Faults.Frozen == 0 || r.Mapping.OnFailureSent == 0 || r.Redrive.Deleted == 0 {
			t.Errorf("%s: %+v", r.Mode, r)
		}
		if r.Mode == "record" && r.Duplicated != 0 {
			t.Errorf("record mode: %d duplicates", r.Duplicated)
		}
	}
}

// testLog writes Run's output to the test log, line by line.
type testLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line) // an unfinished line waits for the rest
			return len(p), nil
		}
		l.t.Log(strings.TrimRight(line, "\n"))
	}
}

func (l *testLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 0 {
		l.t.Log(l.buf.String())
	}
}

// The batch-parquet mode runs the example's stack: its transform is the one the example deploys, and the schema
// the default configuration names is the example's file.
func TestParquetModeIsTheExample(t *testing.T) {
	tf, err := os.ReadFile("../../terraform/examples/batch-athena/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tf), `transform      = "`+ordersTransform+`"`) {
		t.Errorf("examples/batch-athena/main.tf does not deploy the transform %s", ordersTransform)
	}
	if _, err := os.Stat("../../" + DefaultConfig().Schema); err != nil {
		t.Error(err)
	}
}
