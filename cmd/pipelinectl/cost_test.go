package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCostCmd(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), append([]string{"cost"}, args...), &out, &errOut); code != 0 {
		t.Fatalf("pipelinectl cost %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// The README's example is the command's output, not a hand-kept copy.
func TestReadmeShowsTheCostOutput(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "$ pipelinectl cost --records-per-second 1000 --record-size 1024 --mode batch --compression zstd\n"
	got := runCostCmd(t, "--records-per-second", "1000", "--record-size", "1024", "--mode", "batch", "--compression", "zstd")
	if !bytes.Contains(readme, []byte(cmd+got+"```")) {
		t.Errorf("README.md's Costs example differs from the output; it should read:\n%s%s", cmd, got)
	}
}

// Record mode's PUTs, the figure the mode choice turns on, and every price as a flag.
func TestCostFlags(t *testing.T) {
	out := runCostCmd(t, "--mode", "record")
	if !strings.Contains(out, "S3 PUT requests alone: $13,140 a month in record mode") {
		t.Errorf("output:\n%s", out)
	}
	doubled := runCostCmd(t, "--mode", "record", "--price-s3-put", "0.01")
	if !strings.Contains(doubled, "$26,280 a month in record mode") {
		t.Errorf("a PUT price of $0.01 per 1,000 should double the PUTs:\n%s", doubled)
	}
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"cost", "--mode", "batches"}, new(bytes.Buffer), &errOut); code != 1 ||
		!strings.Contains(errOut.String(), `mode "batches"`) {
		t.Errorf("exit %d, %s", code, errOut.String())
	}
}

// -bench reads the speeds of a make bench run.
func TestCostReadsBenchmarkOutput(t *testing.T) {
	bench := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(bench, []byte("BenchmarkInvocation/batch+zstd \t 5\t 1 ns/op\t 1.00 cpu-MB/s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	slow := runCostCmd(t, "--mode", "batch", "--compression", "zstd", "--bench", bench)
	if !strings.Contains(slow, "speeds: "+bench) || !strings.Contains(slow, "1.794s per invocation") {
		t.Errorf("at 1 MB/s on 29%% of a vCPU, 500 KB take 1.794 s:\n%s", slow)
	}
}

// Prices given as flags are named in the estimate, with the date the user gives them.
func TestCostNamesTheGivenPrices(t *testing.T) {
	out := runCostCmd(t, "--price-s3-put", "0.0055", "--price-firehose-gb", "0.031")
	if !strings.Contains(out, "Prices: --price-firehose-gb, --price-s3-put as given, the others us-east-1") {
		t.Errorf("output does not name the prices given:\n%s", out)
	}
	out = runCostCmd(t, "--price-s3-put", "0.0055", "--prices-as-of", "eu-west-1, 2027-01-04")
	if !strings.Contains(out, "Prices: eu-west-1, 2027-01-04;") {
		t.Errorf("output does not carry --prices-as-of:\n%s", out)
	}
}
