package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/logger"

	"github.com/kinesis2s3/kinesis2s3/internal/generate"
	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
)

// TestGenerateIntoPipeline feeds a pipeline with pipelinectl generate, run as an operator runs it (a process,
// the SDK's default chain, the exit status, the summary line, the --output audit file), and checks that the
// pipeline writes what the generator says it sent: every valid user record, KPL sub-records included, exactly
// once with its content, and every invalid record quarantined. On the local stack always (unless -short); on
// AWS with E2E_AWS=1.
func TestGenerateIntoPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts the emulators and the function")
	}
	cli := buildPipelinectl(t)
	t.Run("local", func(t *testing.T) { testGenerateIntoPipeline(t, newLocalTarget(t), cli) })
	t.Run("aws", func(t *testing.T) { testGenerateIntoPipeline(t, newAWSTarget(t), cli) })
}

// generateCount is the number of Kinesis records the generator puts.
const generateCount = 300

func testGenerateIntoPipeline(t *testing.T, target Target, cli string) {
	d := target.Deploy(t, PipelineSettings{OutputMode: "batch", Compression: "gzip", Shards: 2, BatchingWindow: time.Second})
	since := time.Now()
	auditPath := filepath.Join(t.TempDir(), "sent.jsonl")

	out := runPipelinectl(t, cli, d.Env, "generate", "--stream", d.StreamName, "--count", strconv.Itoa(generateCount),
		"--rate", "0", "--seed", "7", "--invalid-fraction", "0.05", "--kpl-fraction", "0.1", "--output", auditPath)
	if out.exit != 0 {
		t.Fatalf("generate: %s", out)
	}
	summary := summaryCounts(t, out.stdout)
	if summary["sent"] != generateCount || summary["failed"] != 0 || summary["unsent"] != 0 {
		t.Fatalf("generate summary: want sent %d, failed 0, unsent 0:\n%s", generateCount, out.stdout)
	}

	f, err := os.Open(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := generate.ReadAudit(f)
	f.Close()
	if err != nil {
		t.Fatalf("audit file: %v", err)
	}
	if len(sent) != generateCount {
		t.Fatalf("audit file: %d records, want %d", len(sent), generateCount)
	}
	// The mix must hold what the test is about: invalid records and KPL aggregates next to plain ones.
	if summary["invalid"] == 0 || summary["kpl"] == 0 {
		t.Fatalf("seed 7 made no invalid records or no KPL aggregates: %s", out.stdout)
	}
	want, err := ledger.FromAudit(sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != summary["user-records"] {
		t.Fatalf("the audit file holds %d user records, the summary says %d", len(want), summary["user-records"])
	}
	quarantine := 0
	for _, e := range want {
		if e.Quarantine {
			quarantine++
		}
	}

	rep := waitForBucket(t, d, since, want)
	if rep.Written+rep.Quarantined != summary["user-records"] || rep.Quarantined != quarantine ||
		rep.Quarantined != summary["invalid"] {
		t.Errorf("written %d + quarantined %d; the generator reports %d user records, %d of them invalid",
			rep.Written, rep.Quarantined, summary["user-records"], summary["invalid"])
	}
	logger.Default.Logf(t, "generate → %s: %d Kinesis records (%d invalid, %d KPL aggregates) = %d user records: %d written, %d quarantined",
		target.Name(), summary["sent"], summary["invalid"], summary["kpl"], summary["user-records"], rep.Written, rep.Quarantined)
}

// summaryField is one "name count" pair of generate's summary line.
var summaryField = regexp.MustCompile(`([a-z-]+) (\d+)\b`)

// summaryCounts reads the counts of generate's final stdout line ("generated N sent N failed N ... user-records
// N calls N elapsed ...").
func summaryCounts(t *testing.T, stdout string) map[string]int {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "generated ") {
		t.Fatalf("no summary line on stdout:\n%s", stdout)
	}
	counts := map[string]int{}
	for _, m := range summaryField.FindAllStringSubmatch(last, -1) {
		n, err := strconv.Atoi(m[2])
		if err != nil {
			t.Fatal(fmt.Errorf("summary %q: %w", last, err))
		}
		counts[m[1]] = n
	}
	for _, k := range []string{"sent", "failed", "unsent", "invalid", "kpl", "user-records"} {
		if _, ok := counts[k]; !ok {
			t.Fatalf("summary line without %q: %s", k, last)
		}
	}
	return counts
}
