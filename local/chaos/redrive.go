package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// RedriveTotals adds up the redrive runs' summaries.
type RedriveTotals struct {
	Runs                              int
	Messages, Redriven, Deleted, Kept int // per run, summed: a message kept by one run is received again by the next
	RecordsReprocessed, RecordsFailed int
	ExitCodes                         []int
	Elapsed                           time.Duration
	unparsed                          bool
}

// maxRedriveRuns bounds the reruns: the runbook's answer to kept messages is to run again.
const maxRedriveRuns = 3

// redrive runs pipelinectl redrive in direct mode, as an operator would with the function's settings, on the
// pipeline's on-failure destination (the queue, or the S3 objects), until it exits 0 (everything redriven and
// deleted) or maxRedriveRuns runs. S3 is reached through the fault proxy, which fails nothing by then.
func redrive(ctx context.Context, cfg Config, p *pipeline.Pipeline, dir string, say func(string, ...any)) RedriveTotals {
	var t RedriveTotals
	began := time.Now()
	defer func() { t.Elapsed = time.Since(began) }()
	for run := 1; run <= maxRedriveRuns && ctx.Err() == nil; run++ {
		depth, err := p.OnFailureCount(ctx)
		if err == nil && depth == 0 && run > 1 {
			break
		}
		say("pipelinectl redrive, run %d: %d on-failure records in %s\n", run, depth, p.OnFailureSource)
		stdout, exit, err := runRedrive(ctx, cfg.Pipelinectl, p, filepath.Join(dir, fmt.Sprintf("redrive-%d.log", run)))
		if err != nil {
			say("  pipelinectl: %v\n", err)
			t.unparsed = true
			return t
		}
		t.Runs++
		t.ExitCodes = append(t.ExitCodes, exit)
		t.unparsed = !t.add(stdout) || t.unparsed
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			say("  | %s\n", line)
		}
		if exit == 0 {
			break
		}
	}
	return t
}

// runRedrive runs the CLI with the stack's endpoints (S3 through the fault proxy) and nothing else from this
// process's environment, and keeps its stdout and stderr in logPath.
func runRedrive(ctx context.Context, bin string, p *pipeline.Pipeline, logPath string) (stdout string, exit int, err error) {
	s := p.Settings
	source := []string{"-queue-url", p.QueueURL}
	if strings.HasPrefix(p.OnFailureSource, "s3://") {
		source = []string{"-source", p.OnFailureSource}
	}
	args := append([]string{"redrive"}, source...)
	args = append(args, "-mode", "direct",
		"-bucket", p.Bucket, "-output-mode", s.OutputMode, "-compression", s.Compression,
		"-key-prefix", s.KeyPrefix, "-error-prefix", s.ErrorPrefix, "-on-invalid-record", s.OnInvalidRecord,
		"-upload-concurrency", strconv.Itoa(s.UploadConcurrency), "-s3-force-path-style", "true")
	// The analytics settings, as the function has them: a replay must write the keys the function writes.
	for _, f := range [][2]string{{"-format", s.Format}, {"-schema", s.SchemaFile}, {"-transform", s.Transform},
		{"-time-field", s.TimeField}, {"-partition-keys", s.PartitionKeys}} {
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	if s.MaxPartitions > 0 {
		args = append(args, "-max-partitions", strconv.Itoa(s.MaxPartitions))
	}
	home, err := os.MkdirTemp("", "kinesis2s3-chaos-home-")
	if err != nil {
		return "", 0, err
	}
	defer os.RemoveAll(home)
	cmd := exec.CommandContext(ctx, bin, args...)
	// No profile, credentials file or endpoint of the user's can leak in: only the stack's.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
	for k, v := range p.Stack.Env() {
		if k == "AWS_ENDPOINT_URL_S3" {
			v = p.Faults.URL
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	log := fmt.Sprintf("pipelinectl %s\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), out.String(), errOut.String())
	if err := os.WriteFile(logPath, []byte(log), 0o600); err != nil {
		return "", 0, err
	}
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exitErr):
		exit = exitErr.ExitCode()
	default:
		return "", 0, runErr
	}
	return out.String(), exit, nil
}

// The summary lines of pipelinectl redrive that the totals are read from.
var (
	messagesLine = regexp.MustCompile(`(?:messages: (\d+) received|objects: (\d+) read), (\d+) redriven, (\d+) deleted, (\d+) kept`)
	recordsLine  = regexp.MustCompile(`records: \d+ found in the (?:stream|objects), (\d+) reprocessed, (\d+) failed`)
)

// add reads one run's summary; false if it could not.
func (t *RedriveTotals) add(stdout string) bool {
	m := messagesLine.FindStringSubmatch(stdout)
	r := recordsLine.FindStringSubmatch(stdout)
	if m == nil || r == nil {
		return false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	t.Messages += n(m[1]) + n(m[2])
	t.Redriven += n(m[3])
	t.Deleted += n(m[4])
	t.Kept += n(m[5])
	t.RecordsReprocessed += n(r[1])
	t.RecordsFailed += n(r[2])
	return true
}
