package cost

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Speeds are what the function was measured to do on one core (make bench).
type Speeds struct {
	// MBps is a whole invocation's speed, from the event's bytes to the Writer, in MB (10^6 bytes) of record data
	// per second of one core's CPU time, by configuration: "record", "batch+gzip", "batch+zstd", "batch+none"
	// (BenchmarkInvocation's cpu-MB/s: CPU time rather than elapsed, which a shared machine stretches; a Lambda
	// function has its vCPU share to itself).
	MBps map[string]float64
	// PutCPU is the function's CPU time per S3 PUT: the AWS SDK's signing, checksum and HTTP (BenchmarkS3Put).
	PutCPU time.Duration
	// Ratio is the compression ratio of batch objects of the benchmark records, by compression.
	Ratio map[string]float64
	// Source says where the figures come from.
	Source string
}

// Measured is make bench's figures on the development machine (one core of a 2-vCPU AMD EPYC shared with other
// work, quiet at the time; medians of three runs), the default of `pipelinectl cost`. testdata/bench.txt is that run's output, and a
// test holds these figures to it; `pipelinectl cost -bench FILE` reads a fresh run instead.
var Measured = Speeds{
	MBps:   map[string]float64{"record": 152.3, "batch+gzip": 57.43, "batch+zstd": 102.5, "batch+none": 231.2},
	PutCPU: 292400 * time.Nanosecond,
	Ratio:  map[string]float64{"gzip": 4.19, "zstd": 4.35, "none": 1},
	Source: "make bench on a shared 2-vCPU AMD EPYC, 2026-11-30 (internal/cost/testdata/bench.txt)",
}

// speed returns the measured speed of w's configuration, or w's own.
func (s Speeds) speed(w Workload) (float64, error) {
	key := "record"
	if w.Mode == "batch" {
		if w.Format == "parquet" {
			return 0, errors.New("parquet: no speed is measured for it; give -speed (MB/s of record data on one core)")
		}
		key = "batch+" + w.Compression
	}
	if v := s.MBps[key]; v > 0 {
		return v, nil
	}
	return 0, fmt.Errorf("no measured speed for %s", key)
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// FromBenchmarks reads the output of make bench (`go test -bench` lines, any number of runs) and returns the
// medians of the figures Speeds holds; what the output lacks is taken from base.
func FromBenchmarks(r io.Reader, base Speeds) (Speeds, error) {
	samples := map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		fields := strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				samples[m[1]+" "+fields[i+1]] = append(samples[m[1]+" "+fields[i+1]], v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Speeds{}, err
	}
	out := Speeds{MBps: map[string]float64{}, Ratio: map[string]float64{}, PutCPU: base.PutCPU, Source: "benchmark output"}
	for k, v := range base.MBps {
		out.MBps[k] = v
	}
	for k, v := range base.Ratio {
		out.Ratio[k] = v
	}
	found := 0
	for key := range out.MBps {
		if v, ok := median(samples["Invocation/"+key+" cpu-MB/s"]); ok {
			out.MBps[key], found = v, found+1
		}
		if c, ok := strings.CutPrefix(key, "batch+"); ok {
			if v, ok := median(samples["Invocation/"+key+" compression-ratio"]); ok {
				out.Ratio[c] = v
			}
		}
	}
	if v, ok := median(samples["S3Put cpu-µs/put"]); ok {
		out.PutCPU = time.Duration(v * float64(time.Microsecond))
	}
	if found == 0 {
		return Speeds{}, fmt.Errorf("no BenchmarkInvocation figures in the benchmark output")
	}
	return out, nil
}

func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}
