package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// The analytics figures of make bench: the bench event's records (benchBatch: 4,800 clickstream records) through a
// 10-property schema, a 2-step transform, and Parquet, on one core (make bench sets GOMAXPROCS=1).

// benchSchema is the SCHEMA of the analytics variants.
const benchSchema = benchdata.Schema

// benchTransform is a 2-step transform: drop a field, compute one.
const benchTransform = `del(.user.email) | .duration_s = (.duration_ms / 1000)`

// analyticsCase is a variant: the baseline, or analytics settings on top of it.
type analyticsCase struct {
	name              string
	schema, transform bool
	format            string
	full              bool // a full batch of 10,000 records (fullBatch) rather than the bench event's 4,800
}

// analyticsCases are the variants: the baseline, each analytics setting on top of it, and Parquet against JSON Lines
// on a full batch too, as issue 8 states its Parquet target for one.
var analyticsCases = []analyticsCase{
	{"jsonl-zstd", false, false, config.FormatJSONL, false},
	{"jsonl-zstd+schema", true, false, config.FormatJSONL, false},
	{"jsonl-zstd+transform", false, true, config.FormatJSONL, false},
	{"jsonl-zstd+schema+transform", true, true, config.FormatJSONL, false},
	{"parquet-zstd+schema", true, false, config.FormatParquet, false},
	{"jsonl-zstd+schema/10000", true, false, config.FormatJSONL, true},
	{"parquet-zstd+schema/10000", true, false, config.FormatParquet, true},
}

// records is the case's records and the bytes of their JSON.
func (c analyticsCase) records(b *testing.B) ([]events.KinesisEventRecord, int64) {
	if c.full {
		return fullBatch(b)
	}
	return benchBatch(b)
}

func analyticsConfig(b *testing.B, schema, transform bool, format string) config.Config {
	c := cfg("batch")
	c.Compression, c.Format, c.MaxPartitions = config.CompressionZstd, format, config.DefaultMaxPartitions
	if schema {
		path := filepath.Join(b.TempDir(), "bench.schema.json")
		if err := os.WriteFile(path, []byte(benchSchema), 0o600); err != nil {
			b.Fatal(err)
		}
		c.Schema = path
	}
	if transform {
		c.Transform = benchTransform
	}
	return c
}

// benchAnalytics processes the bench batch with c, b.N times, and reports the object size and the throughput per
// CPU second besides the wall clock's.
func benchAnalytics(b *testing.B, c config.Config, rs []events.KinesisEventRecord, size int64) {
	p, err := New(c, discard{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var objectBytes int64
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	start := benchdata.CPUTime()
	for i := 0; i < b.N; i++ {
		_, m, err := p.Process(context.Background(), rs)
		if err != nil || m.RecordsWritten != len(rs) {
			b.Fatalf("err %v metrics %+v", err, m)
		}
		objectBytes = m.BytesWritten
	}
	cpu := benchdata.CPUTime() - start
	b.StopTimer()
	b.ReportMetric(float64(size)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	b.ReportMetric(float64(objectBytes), "object-bytes")
}

func BenchmarkAnalytics(b *testing.B) {
	for _, c := range analyticsCases {
		b.Run(c.name, func(b *testing.B) {
			rs, size := c.records(b)
			benchAnalytics(b, analyticsConfig(b, c.schema, c.transform, c.format), rs, size)
		})
	}
}

// figure is one variant's measurement.
type figure struct {
	wall, cpu float64 // MB/s of JSON in
	bytes     int64   // the object
}

// rounds is how many times measure runs each variant.
const rounds = 5

// measure processes each case's records with its config for about a second, in turn, rounds times, and keeps each
// one's round with the best throughput per CPU second: on a shared machine, the one least disturbed by the others.
// Taking the variants in turn within each round, rather than one after another, lets a slow spell of the machine
// touch them all alike.
func measure(b *testing.B, cases []analyticsCase, configs []config.Config) []figure {
	procs := make([]*Processor, len(configs))
	for i, c := range configs {
		var err error
		if procs[i], err = New(c, discard{}, nil); err != nil {
			b.Fatal(err)
		}
	}
	bench, benchSize := benchBatch(b)
	full, fullSize := fullBatch(b)
	best := make([]figure, len(configs))
	for range rounds {
		for i, p := range procs {
			rs, size := bench, benchSize
			if cases[i].full {
				rs, size = full, fullSize
			}
			runtime.GC() // none of the previous variant's garbage
			var bytes int64
			n, wall, cpu := 0, time.Now(), benchdata.CPUTime()
			for n < 3 || time.Since(wall) < time.Second {
				_, m, err := p.Process(context.Background(), rs)
				if err != nil || m.RecordsWritten != len(rs) {
					b.Fatalf("err %v metrics %+v", err, m)
				}
				bytes, n = m.BytesWritten, n+1
			}
			mb := float64(size) * float64(n) / 1e6
			f := figure{wall: mb / time.Since(wall).Seconds(), cpu: mb / (benchdata.CPUTime() - cpu).Seconds(), bytes: bytes}
			if f.cpu > best[i].cpu {
				best[i] = f
			}
		}
	}
	return best
}

// BenchmarkAnalyticsFigures prints the figures the README quotes and what they mean against the targets.
func BenchmarkAnalyticsFigures(b *testing.B) {
	_, size := benchBatch(b)
	_, fullSize := fullBatch(b)
	configs := make([]config.Config, len(analyticsCases))
	for i, c := range analyticsCases {
		configs[i] = analyticsConfig(b, c.schema, c.transform, c.format)
	}
	got := map[string]figure{}
	load, zstdBefore := loadAverage(), zstdSpeed(b)
	for i, f := range measure(b, analyticsCases, configs) {
		got[analyticsCases[i].name] = f
	}
	machine := fmt.Sprintf("%s, load average %s before", time.Now().UTC().Format("2006-01-02 15:04 UTC"), load)
	if zstdAfter := zstdSpeed(b); zstdBefore > 0 && zstdAfter > 0 {
		machine += fmt.Sprintf(", `zstd -b1 -T1` on the same records %.0f MB/s before and %.0f after", zstdBefore, zstdAfter)
	} else {
		machine += " (no zstd command to compare the machine's speed with)"
	}
	base := got["jsonl-zstd"]
	var out strings.Builder
	fmt.Fprintf(&out, "\nanalytics, the bench event's %d records (%.1f MB of JSON), one core, best of %d rounds; %s:\n",
		benchdata.Records, float64(size)/1e6, rounds, machine)
	fmt.Fprintf(&out, "  %-30s %10s %12s %14s %12s\n", "variant", "MB/s", "MB/cpu-s", "vs jsonl-zstd", "object")
	for _, c := range analyticsCases {
		f := got[c.name]
		fmt.Fprintf(&out, "  %-30s %10.1f %12.1f %13.0f%% %12d\n", c.name, f.wall, f.cpu, 100*(f.cpu/base.cpu-1), f.bytes)
	}
	perRecord := func(name string) float64 { // µs of CPU a record spends beyond the baseline
		return (1/got[name].cpu - 1/base.cpu) * float64(size) / benchdata.Records
	}
	fmt.Fprintf(&out, "  cost per record beyond the baseline (CPU): validation %.2f µs, transform %.2f µs, both %.2f µs\n",
		perRecord("jsonl-zstd+schema"), perRecord("jsonl-zstd+transform"), perRecord("jsonl-zstd+schema+transform"))
	pq, jsonl := got["parquet-zstd+schema"], got["jsonl-zstd+schema"]
	fmt.Fprintf(&out, "  parquet+zstd: %.1f MB/cpu-s (target >= 80); object %d bytes, %.0f%% of the jsonl.zst one (target <= 100%%)\n",
		pq.cpu, pq.bytes, 100*float64(pq.bytes)/float64(jsonl.bytes))
	pq, jsonl = got["parquet-zstd+schema/10000"], got["jsonl-zstd+schema/10000"]
	fmt.Fprintf(&out, "  parquet+zstd, a full batch of %d records: %.1f MB/cpu-s (target >= 80); object %d bytes, %.0f%% of the jsonl.zst one (target <= 100%%)\n",
		benchdata.FullBatch, pq.cpu, pq.bytes, 100*float64(pq.bytes)/float64(jsonl.bytes))
	fmt.Fprintf(&out, "  schema + transform: %+.0f%% throughput (target >= -35%%)\n", 100*(got["jsonl-zstd+schema+transform"].cpu/base.cpu-1))
	fmt.Print(out.String()) // printed whatever the flags: make bench shows it
	if readme := os.Getenv("README"); readme != "" {
		caption := fmt.Sprintf("Measured %s; the best of %d rounds.\n\n", machine, rounds)
		if err := writeFigures(readme, caption+readmeTable(got, size, fullSize)); err != nil {
			b.Fatal(err)
		}
	}
	b.SkipNow() // a report, not a measurement of its own
}

// The README's table of these figures sits between these markers; make bench (README=…) rewrites it, so that it
// is never typed by hand.
const (
	figuresBegin = "<!-- BEGIN_ANALYTICS_FIGURES -->\n"
	figuresEnd   = "<!-- END_ANALYTICS_FIGURES -->"
)

// readmeTable is the README's table of the figures, with what they mean against issue 8's targets.
func readmeTable(got map[string]figure, size, fullSize int64) string {
	base := got["jsonl-zstd"]
	perRecord := func(name string) float64 { return (1/got[name].cpu - 1/base.cpu) * float64(size) / benchdata.Records }
	change := func(name string) float64 { return 100 * (got[name].cpu/base.cpu - 1) }
	verdict := func(ok bool) string { return map[bool]string{true: "**met**", false: "**not met**"}[ok] }
	pq, jsonl, both := got["parquet-zstd+schema"], got["jsonl-zstd+schema"], "jsonl-zstd+schema+transform"
	var t strings.Builder
	fmt.Fprintf(&t, "| what | MB of JSON a CPU second | change, and CPU a record beyond the baseline | object | target (issue 8) |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&t, "| batch + zstd, JSON Lines, no analytics settings (the baseline) | %.0f | | %d B | |\n", base.cpu, base.bytes)
	for _, r := range []struct{ name, what string }{
		{"jsonl-zstd+schema", "with the schema"}, {"jsonl-zstd+transform", "with the transform"}, {both, "with both"},
	} {
		target := ""
		if r.name == both {
			target = fmt.Sprintf("≥ −35 %%: %s", verdict(change(both) >= -35))
		}
		fmt.Fprintf(&t, "| batch + zstd %s | %.0f | %+.0f %%, %.1f µs | %d B | %s |\n", r.what, got[r.name].cpu, change(r.name),
			perRecord(r.name), got[r.name].bytes, target)
	}
	ratio := 100 * float64(pq.bytes) / float64(jsonl.bytes)
	fmt.Fprintf(&t, "| batch + **Parquet** + zstd, with the schema | %.0f | %+.0f %%, %.1f µs | %d B, %.0f %% of the jsonl.zst one | ≥ 80 MB/s: %s; ≤ 100 %%: %s |\n",
		pq.cpu, change("parquet-zstd+schema"), perRecord("parquet-zstd+schema"), pq.bytes, ratio, verdict(pq.cpu >= 80), verdict(ratio <= 100))
	pq, jsonl = got["parquet-zstd+schema/10000"], got["jsonl-zstd+schema/10000"]
	ratio = 100 * float64(pq.bytes) / float64(jsonl.bytes)
	fmt.Fprintf(&t, "| the same on a full batch of %s records (%.1f MB of JSON; more than a Lambda event can carry of these records, so measured on the core alone, as every row here) | %.0f | | %d B, %.0f %% of the jsonl.zst one (%d B) | ≥ 80 MB/s: %s; ≤ 100 %%: %s |\n",
		"10,000", float64(fullSize)/1e6, pq.cpu, pq.bytes, ratio, jsonl.bytes, verdict(pq.cpu >= 80), verdict(ratio <= 100))
	return t.String()
}

// The machine's speed moves from day to day, and with the load of its other work: each run of the figures says
// what it was, in the load average and in how fast the zstd command compresses the same records.

// loadAverage is the 1-minute load average, or "unknown" where /proc does not give it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// zstdMBs matches the speed in a line of `zstd -b` output: "… (x4.350),  364.6 MB/s …".
var zstdMBs = regexp.MustCompile(`\(x[0-9.]+\),\s+([0-9.]+) MB/s`)

// zstdSpeed is `zstd -b1 -T1`'s compression speed on the bench records as JSON Lines, in MB/s, or 0 where there is
// no zstd command (make bench installs it).
func zstdSpeed(b *testing.B) float64 {
	cli, err := exec.LookPath("zstd")
	if err != nil {
		return 0
	}
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	lines := filepath.Join(b.TempDir(), "records.jsonl")
	if err := os.WriteFile(lines, append(bytes.Join(w.Data, []byte("\n")), '\n'), 0o600); err != nil {
		b.Fatal(err)
	}
	out, err := exec.CommandContext(b.Context(), cli, "-b1", "-T1", "-i2", lines).CombinedOutput()
	m := zstdMBs.FindAllSubmatch(out, -1)
	if err != nil || m == nil {
		b.Fatalf("zstd -b1 -T1: %v\n%s", err, out)
	}
	speed, err := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	if err != nil {
		b.Fatal(err)
	}
	return speed
}

// writeFigures replaces the table between the markers in the file at path.
func writeFigures(path, table string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	before, rest, ok := strings.Cut(string(doc), figuresBegin)
	_, after, ok2 := strings.Cut(rest, figuresEnd)
	if !ok || !ok2 {
		return fmt.Errorf("%s has no %q … %q block for the figures", path, strings.TrimSpace(figuresBegin), figuresEnd)
	}
	return os.WriteFile(path, []byte(before+figuresBegin+table+figuresEnd+after), 0o644)
}
