package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/internal/cost"
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

// The Costs prose's batch-mode PUT figures are the model's, at the default batch size and at 10,000, where the
// payload limit caps the batch (a review found the prose quoting 10,000 records a batch, three times too cheap).
func TestReadmeCostProseIsTheModels(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	prose := regexp.MustCompile(`(\$[0-9.,]+) a\s+month with the default batch size of 500, and (\$[0-9.,]+) with a batch size ` +
		`of 10,000, where Lambda's 6 MB invocation\s+payload stops a batch at ([0-9,]+) records`).FindSubmatch(readme)
	if prose == nil {
		t.Fatal("README.md: the Costs prose on batch mode's PUTs is not found")
	}
	model := regexp.MustCompile(`(\$[0-9.,]+) in batch mode|invocations of ([0-9,]+) records`)
	for i, size := range []string{"500", "10000"} {
		out := runCostCmd(t, "--records-per-second", "1000", "--record-size", "1024", "--mode", "batch",
			"--compression", "zstd", "--batch-size", size)
		got := model.FindAllStringSubmatch(out, -1)
		if len(got) != 2 || got[0][1] != string(prose[1+i]) {
			t.Errorf("batch size %s: README.md says %s a month in PUTs, pipelinectl cost %q", size, prose[1+i], got)
		}
		if size == "10000" && (len(got) != 2 || got[1][2] != string(prose[3])) {
			t.Errorf("README.md: a batch stops at %s records of 1 KB; pipelinectl cost: %q", prose[3], got)
		}
	}
}

// An estimate that cannot be made names the flag that makes it possible (from a review).
func TestCostErrorsNameTheFlagToGive(t *testing.T) {
	for want, args := range map[string][]string{
		"-compression-ratio":  {"--mode", "batch", "--format", "parquet"},
		"-speed":              {"--mode", "batch", "--format", "parquet", "--compression-ratio", "5"},
		"-compression":        {"--mode", "batch", "--compression", "zstdd"},
		"-retention-hours":    {"--retention-hours", "12"},
		"-memory":             {"--memory", "64"},
		"-records-per-second": {"--records-per-second", "0"},
	} {
		var errOut bytes.Buffer
		code := run(context.Background(), append([]string{"cost"}, args...), new(bytes.Buffer), &errOut)
		names := regexp.MustCompile(regexp.QuoteMeta(want) + `([^-a-z]|$)`) // -compression is not -compression-ratio
		if code == 0 || !names.MatchString(errOut.String()) {
			t.Errorf("cost %v: exit %d, %q; want an error naming %s", args, code, errOut.String(), want)
		}
	}
}

// The Costs prose quotes the measured CPU time of a PUT and the time of a full record-mode batch at 512 MB: the
// figures the tool prices with (a review found them left at an older measurement's).
func TestReadmeRecordModeProseMatchesTheModel(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`each PUT costs the function about ([0-9.]+) ms of CPU in the SDK \(measured\), so at\s+512 MB a full batch of 500 records takes about ([0-9.]+) s`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md no longer quotes the record-mode figures")
	}
	if want := fmt.Sprintf("%.2f", cost.Measured.PutCPU.Seconds()*1000); string(m[1]) != want {
		t.Errorf("README.md: a PUT costs about %s ms of CPU; measured: %s ms", m[1], want)
	}
	out := runCostCmd(t, "--records-per-second", "1000", "--record-size", "1024", "--mode", "record")
	per := regexp.MustCompile(`GB-s, ([0-9]+)ms per invocation`).FindStringSubmatch(out)
	if per == nil {
		t.Fatalf("no duration in\n%s", out)
	}
	ms, _ := strconv.Atoi(per[1])
	if want := fmt.Sprintf("%.1f", float64(ms)/1000); string(m[2]) != want {
		t.Errorf("README.md: a full batch of 500 records takes about %s s; pipelinectl cost: %d ms", m[2], ms)
	}
}

// cost -h said -compression is "gzip, zstd or none", but a Parquet workload may be priced with snappy (the function
// accepts it for FORMAT=parquet). The help lists each value the function's COMPRESSION accepts, and the estimate
// takes each of them for a Parquet workload.
func TestCostHelpListsEveryCompression(t *testing.T) {
	var f costFlags
	fs, err := costFlagSet(new(bytes.Buffer), &f)
	if err != nil {
		t.Fatal(err)
	}
	usage := fs.Lookup("compression").Usage
	for _, c := range config.Lookup(config.EnvCompression).Allowed {
		if !strings.Contains(usage, c) {
			t.Errorf("cost -h: -compression %q does not list %s, which COMPRESSION accepts", usage, c)
		}
		runCostCmd(t, "--mode", "batch", "--format", "parquet", "--compression-ratio", "5", "--speed", "100", "--compression", c)
	}
}
