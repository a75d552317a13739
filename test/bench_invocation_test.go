package test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/event"
	"github.com/kinesis2s3/kinesis2s3/function/handler"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/process"
	"github.com/kinesis2s3/kinesis2s3/function/s3writer"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
)

// The benchmarks of whole invocations (issue 9), on internal/benchdata's workload: 4,800 clickstream records
// (2.7 MB of JSON) in one Kinesis event of 6.2 MB, under Lambda's payload limit. make bench runs them in one
// `go test -bench` run with -cpu 1 (one core: Lambda gives about one vCPU per 1,769 MB). MB/s are megabytes of
// record JSON per second, the bytes `zstd -b1` is given, so that every figure compares with every other.
//
//	go test -run '^$' -bench 'Invocation|Limit|ColdStart|RIE' -cpu 1 -count 5 ./test/

// discard is a Writer that keeps nothing but a count of the bytes: the in-process benchmarks measure the function,
// not storage.
type discard struct{ bytes atomic.Int64 }

func (d *discard) Put(_ context.Context, _ string, body []byte, _ string) error {
	d.bytes.Add(int64(len(body)))
	return nil
}

func workload(b *testing.B) benchdata.Workload {
	b.Helper()
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// benchModes are the configurations measured: record mode, and batch mode with each compression.
var benchModes = []struct{ name, mode, compression string }{
	{"record", config.ModeRecord, config.CompressionNone},
	{"batch+gzip", config.ModeBatch, config.CompressionGzip},
	{"batch+zstd", config.ModeBatch, config.CompressionZstd},
	{"batch+none", config.ModeBatch, config.CompressionNone},
}

func benchHandler(b *testing.B, mode, compression string) (*handler.Handler, *process.Processor, *discard) {
	b.Helper()
	cfg := config.Config{Bucket: "bench", OutputMode: mode, KeyPrefix: config.DefaultKeyPrefix, Compression: compression,
		ErrorPrefix: config.DefaultErrorPrefix, OnInvalidRecord: config.InvalidQuarantine,
		UploadConcurrency: config.DefaultUploadConcurrency}
	w := new(discard)
	proc, err := process.New(cfg, w, nil)
	if err != nil {
		b.Fatal(err)
	}
	return handler.New(proc, nil, "bench", io.Discard), proc, w
}

// BenchmarkInvocation runs the real entry point, handler.Invoke, from the event's raw bytes to the Writer.
// cpu-MB/s is of the CPU time the process spent rather than the time elapsed, which a loaded machine stretches:
// with -cpu 1 it is the work of one core, the garbage collector's included, and what pipelinectl cost takes.
// peak-heap-x-event bounds the heap of an invocation from above, in multiples of the event's size: the event, plus
// every byte an invocation allocates, as if all of it were live at once. kept-MB is the working memory the handler
// keeps from one invocation to the next rather than allocating it again (the event decoder's record table, the
// processor's unit table, the compressor's window): what an invocation allocates when it finds none, less what it
// allocates when it does.
func BenchmarkInvocation(b *testing.B) {
	w := workload(b)
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			h, _, written := benchHandler(b, m.mode, m.compression)
			invoke := func() {
				resp, err := h.Invoke(context.Background(), w.Event)
				if err != nil || !bytes.Equal(resp, []byte(`{"batchItemFailures":[]}`)) {
					b.Fatalf("response %s, error %v", resp, err)
				}
			}
			cold := allocatedBy(invoke)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			written.bytes.Store(0)
			b.SetBytes(w.Bytes)
			b.ReportAllocs()
			b.ResetTimer()
			startCPU := cpuTime(b)
			for b.Loop() {
				invoke()
			}
			b.StopTimer()
			b.ReportMetric(float64(w.Bytes)*float64(b.N)/(cpuTime(b)-startCPU).Seconds()/1e6, "cpu-MB/s")
			runtime.ReadMemStats(&after)
			warm := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N)
			b.ReportMetric(float64(benchdata.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric((float64(len(w.Event))+warm)/float64(len(w.Event)), "peak-heap-x-event")
			b.ReportMetric((float64(cold)-warm)/1e6, "kept-MB")
			if m.mode == config.ModeBatch {
				b.ReportMetric(float64(w.Bytes)*float64(b.N)/float64(written.bytes.Load()), "compression-ratio")
			}
		})
	}
}

// allocatedBy returns the bytes fn allocates when it runs after two collections, which empty every sync.Pool.
func allocatedBy(fn func()) uint64 {
	runtime.GC()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// limitEncoder compresses the records as plainly as zstd can: the JSON Lines a batch object holds, in one
// EncodeAll call at SpeedFastest on one goroutine. Nothing the function does to a batch can be faster than this.
type limitEncoder struct {
	lines []byte
	enc   *zstd.Encoder
	out   []byte
}

func newLimit(b *testing.B, w benchdata.Workload) *limitEncoder {
	b.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		b.Fatal(err)
	}
	l := &limitEncoder{enc: enc, lines: bytes.Join(w.Data, []byte("\n"))}
	l.lines = append(l.lines, '\n')
	return l
}

func (l *limitEncoder) run() { l.out = l.enc.EncodeAll(l.lines, l.out[:0]) }

// BenchmarkLimit is plain zstd at SpeedFastest, single-threaded, of the compacted records.
func BenchmarkLimit(b *testing.B) {
	l := newLimit(b, workload(b))
	b.SetBytes(int64(len(l.lines)))
	for b.Loop() {
		l.run()
	}
	b.ReportMetric(float64(len(l.lines))/float64(len(l.out)), "compression-ratio")
}

// BenchmarkVsLimit measures batch+zstd against the Limit, alternating the two in every iteration so that both see
// the same load on a shared machine, and reports both speeds and the one as a percentage of the other: core is the
// handler's core on records already decoded (process.Process), invocation the whole entry point from event bytes.
// cpu-%-of-limit compares the CPU time the process spent on each instead of the elapsed time, which a loaded
// machine inflates unevenly (with -cpu 1 the process runs on one core at a time).
func BenchmarkVsLimit(b *testing.B) {
	w := workload(b)
	records, err := new(event.Decoder).Decode(w.Event)
	if err != nil {
		b.Fatal(err)
	}
	h, proc, _ := benchHandler(b, config.ModeBatch, config.CompressionZstd)
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"core", func() {
			if _, m, err := proc.Process(context.Background(), records); err != nil || m.RecordsWritten != benchdata.Records {
				b.Fatalf("metrics %+v, error %v", m, err)
			}
		}},
		{"invocation", func() {
			if _, err := h.Invoke(context.Background(), w.Event); err != nil {
				b.Fatal(err)
			}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := newLimit(b, w)
			var spent, limit, spentCPU, limitCPU time.Duration
			for b.Loop() {
				start, startCPU := time.Now(), cpuTime(b)
				c.run()
				mid, midCPU := time.Now(), cpuTime(b)
				l.run()
				spent, limit = spent+mid.Sub(start), limit+time.Since(mid)
				spentCPU, limitCPU = spentCPU+midCPU-startCPU, limitCPU+cpuTime(b)-midCPU
			}
			mbps := func(d time.Duration) float64 { return float64(w.Bytes) * float64(b.N) / d.Seconds() / 1e6 }
			b.ReportMetric(mbps(spent), "MB/s")
			b.ReportMetric(mbps(limit), "limit-MB/s")
			b.ReportMetric(100*limit.Seconds()/spent.Seconds(), "%-of-limit")
			b.ReportMetric(100*limitCPU.Seconds()/spentCPU.Seconds(), "cpu-%-of-limit")
		})
	}
}

// BenchmarkS3Put measures the CPU time the function spends on one S3 PUT of a 1 KB object (the AWS SDK's signing,
// checksum and HTTP), 64 at a time as record mode writes them, against fauxqs: cpu-µs/put is this process's CPU
// time per PUT, fauxqs's own excluded. The cost model adds it to record mode's invocations.
func BenchmarkS3Put(b *testing.B) {
	stack := emulators.StartT(b, emulators.Options{WithoutKinesis: true})
	h := &harness{t: b, stack: stack}
	bucket := h.bucket(b)
	cfg := aws.Config{Region: stack.Region, BaseEndpoint: aws.String(stack.AWSEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider(emulators.AccessKeyID, emulators.SecretAccessKey, "")}
	w := s3writer.New(s3writer.NewClient(cfg, true, config.DefaultUploadConcurrency), bucket)
	body := bytes.Repeat([]byte("x"), 1024)
	put := func(i int) {
		if err := w.Put(b.Context(), fmt.Sprintf("bench/%d.json", i), body, "application/json"); err != nil {
			b.Fatal(err)
		}
	}
	put(-1) // the first connection
	var next atomic.Int64
	start := cpuTime(b)
	b.ResetTimer()
	var g errgroup.Group
	for range config.DefaultUploadConcurrency {
		g.Go(func() error {
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				put(int(i))
			}
			return nil
		})
	}
	_ = g.Wait()
	b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/float64(b.N), "cpu-µs/put")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkColdStart starts a fresh function under the Lambda RIE for every iteration and sends it a one-record
// event: first-response-ms is from the invocation to its response, the bootstrap's start included (the RIE starts
// it on the first invocation, as Lambda does); init-ms is the RIE's INIT REPORT, from the process's start until
// the runtime asks for its first event.
func BenchmarkColdStart(b *testing.B) {
	stack := emulators.StartT(b, emulators.Options{WithoutKinesis: true})
	h := &harness{t: b, stack: stack}
	bucket := h.bucket(b)
	w := workload(b)
	one := records(string(w.Data[0]))
	var first, init time.Duration
	for b.Loop() {
		fn := emulators.StartFunctionT(b, emulators.FunctionOptions{Env: h.env(bucket, stack.AWSEndpoint, nil)})
		res, err := fn.Invoke(b.Context(), kinesisEvent(one))
		if err != nil || res.FunctionError != "" {
			b.Fatalf("invoke: %v %s", err, res.Payload)
		}
		first += res.Duration
		init += reportDuration(b, res.Log, initReport)
		fn.Close()
	}
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-response-ms")
	b.ReportMetric(init.Seconds()*1000/float64(b.N), "init-ms")
}

var (
	initReport   = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	invokeReport = regexp.MustCompile(`REPORT RequestId: \S+\t(?:Init Duration: [0-9.]+ ms\t)?Duration: ([0-9.]+) ms`)
	zstdSpeed    = regexp.MustCompile(`\(x[0-9.]+\),\s+([0-9.]+) MB/s`)
)

// reportDuration reads a duration in milliseconds that the RIE logged.
func reportDuration(b *testing.B, log []byte, re *regexp.Regexp) time.Duration {
	m := re.FindSubmatch(log)
	if m == nil {
		b.Fatalf("no %s in the invocation's log:\n%s", re, log)
	}
	ms, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// BenchmarkRIE runs the real bootstrap under the Lambda RIE, writing to fauxqs, in batch+zstd on the 6.2 MB event,
// side by side with `zstd -b1 -T1` on the same records (its in-memory benchmark, run before and after the
// invocations). MB/s is of the median invocation's duration as the RIE reports it (what Lambda bills: from
// handing the event to the runtime to its response, the S3 PUT included); wall-MB/s of the whole round trip seen
// from the client (the RIE passing the 6.2 MB on); zstd-MB/s is zstd's compression speed, the mean of its two runs;
// %-of-zstd compares the first with the last. On a loaded machine elapsed times stretch unevenly, so the same
// comparison is made of CPU time too (Linux): cpu-%-of-zstd sets the bootstrap's CPU time per invocation (from
// /proc, the S3 PUT and the runtime's reading of the event included) against zstd -1 -T1's CPU time compressing
// the same records, twenty times in one process. peak-rss-MB is the bootstrap's peak resident memory (VmHWM).
// The bootstrap runs with GOMAXPROCS=1 (one core, as zstd's -T1) and, as gomaxprocs=2, on two.
//
// Part of the billed time is fauxqs's, not the function's: put-ms is the median time of the same PUT (the object
// the invocation writes, through the same SDK) made from the test process, most of it fauxqs's own; billed-less-put
// is the billed time without it, and %-of-zstd-less-put its speed against zstd's. Where the rest goes, the medians of
// the phases the handler logs at debug level: event-ms decoding the event, decode-ms the records, encode-ms the
// objects, write-wait-ms waiting for the PUTs after the last object is encoded, and outside-ms the billed time
// outside the handler (the runtime reading the event from the RIE, and the response). The 4-hours cases spread the
// same records over four hours of arrival: four objects, whose uploads overlap encoding the next.
func BenchmarkRIE(b *testing.B) {
	zstdCLI, err := exec.LookPath("zstd")
	if err != nil {
		b.Skip("the zstd command is not installed (make bench installs it): nothing to compare with")
	}
	w := workload(b)
	lines := filepath.Join(b.TempDir(), "records.jsonl")
	if err := os.WriteFile(lines, newLimit(b, w).lines, 0o600); err != nil {
		b.Fatal(err)
	}
	stack := emulators.StartT(b, emulators.Options{WithoutKinesis: true})
	h := &harness{t: b, stack: stack}
	zstdBench := func(b *testing.B) float64 {
		out, err := exec.CommandContext(b.Context(), zstdCLI, "-b1", "-T1", "-i2", lines).CombinedOutput()
		m := zstdSpeed.FindAllSubmatch(out, -1)
		if err != nil || m == nil {
			b.Fatalf("zstd -b1 -T1: %v\n%s", err, out)
		}
		speed, _ := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
		return speed
	}
	spread := overHours(b, w, 4)
	for _, c := range []struct {
		name  string
		event []byte
	}{{"batch+zstd", w.Event}, {"batch+zstd-4-hours", spread}} {
		for _, procs := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/gomaxprocs=%d", c.name, procs), func(b *testing.B) {
				bucket := h.bucket(b)
				name := "bench-" + bucket
				fn := emulators.StartFunctionT(b, emulators.FunctionOptions{
					Env: h.env(bucket, stack.AWSEndpoint, map[string]string{"OUTPUT_MODE": "batch", "COMPRESSION": "zstd",
						"GOMAXPROCS": strconv.Itoa(procs), config.EnvLogLevel: "DEBUG"}),
					MemoryMB: 1769 * procs, Name: name,
				})
				phases := map[string][]time.Duration{}
				invoke := func() (billed, wall time.Duration) {
					res, err := fn.Invoke(b.Context(), c.event)
					if err != nil || res.FunctionError != "" || !bytes.Contains(res.Payload, []byte(`"batchItemFailures":[]`)) {
						b.Fatalf("invoke: %v %s", err, res.Payload)
					}
					billed = reportDuration(b, res.Log, invokeReport)
					for name, d := range loggedPhases(b, res.Log) {
						phases[name] = append(phases[name], d)
					}
					phases["outside"] = append(phases["outside"], billed-phases["total"][len(phases["total"])-1])
					return billed, res.Duration
				}
				invoke() // the cold start is BenchmarkColdStart's
				clear(phases)
				zstdBefore := zstdBench(b)
				cpuBefore := bootstrapCPU(b, name)
				var billed, wall []time.Duration
				b.ResetTimer()
				for b.Loop() {
					d, wd := invoke()
					billed, wall = append(billed, d), append(wall, wd)
				}
				b.StopTimer()
				bootstrapSpent := bootstrapCPU(b, name) - cpuBefore
				zstdMBps := (zstdBefore + zstdBench(b)) / 2
				put := putTime(b, h, bucket, w)
				mbps := func(d time.Duration) float64 { return float64(w.Bytes) / d.Seconds() / 1e6 }
				b.ReportMetric(mbps(median(billed)), "MB/s")
				b.ReportMetric(mbps(median(wall)), "wall-MB/s")
				b.ReportMetric(zstdMBps, "zstd-MB/s")
				b.ReportMetric(100*mbps(median(billed))/zstdMBps, "%-of-zstd")
				b.ReportMetric(float64(median(billed).Microseconds())/1000, "billed-ms")
				b.ReportMetric(float64(put.Microseconds())/1000, "put-ms")
				b.ReportMetric(float64((median(billed)-put).Microseconds())/1000, "billed-less-put-ms")
				b.ReportMetric(100*mbps(median(billed)-put)/zstdMBps, "%-of-zstd-less-put")
				for _, name := range []string{"event", "decode", "encode", "write-wait", "outside"} {
					b.ReportMetric(float64(median(phases[name]).Microseconds())/1000, name+"-ms")
				}
				if runtime.GOOS == "linux" {
					peak, err := peakRSS(name)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MB")
					cpuMBps := float64(w.Bytes) * float64(b.N) / bootstrapSpent.Seconds() / 1e6
					b.ReportMetric(cpuMBps, "cpu-MB/s")
					b.ReportMetric(100*cpuMBps/zstdCPUSpeed(b, zstdCLI, lines, w.Bytes), "cpu-%-of-zstd")
				}
			})
		}
	}
}

// phaseField is a phase's duration in the handler's "invocation phases" log line.
var phaseField = regexp.MustCompile(`"(event|decode|encode|writeWait|total)Ms":([0-9.]+)`)

// loggedPhases reads the phases of the invocation whose log is log (see handler.Handler.Invoke).
func loggedPhases(b *testing.B, log []byte) map[string]time.Duration {
	b.Helper()
	line := regexp.MustCompile(`"msg":"invocation phases"[^\n]*`).Find(log)
	phases := map[string]time.Duration{}
	for _, m := range phaseField.FindAllSubmatch(line, -1) {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			b.Fatal(err)
		}
		phases[strings.Replace(string(m[1]), "writeWait", "write-wait", 1)] = time.Duration(v * float64(time.Millisecond))
	}
	if len(phases) != 5 {
		b.Fatalf("no invocation phases in the log:\n%s", log)
	}
	return phases
}

// overHours is the workload's event with the records' arrival spread evenly over hours hours: batch mode writes
// one object per hour.
func overHours(b *testing.B, w benchdata.Workload, hours int) []byte {
	b.Helper()
	recs := slices.Clone(w.Stream)
	for i := range recs {
		recs[i].Arrival = recs[i].Arrival.Truncate(time.Hour).Add(time.Duration(i*hours/len(recs)) * time.Hour)
	}
	ev, err := kinesisevent.Encode(benchdata.Source, recs)
	if err != nil || len(ev) > kinesisevent.PayloadLimit {
		b.Fatalf("event of %d bytes: %v", len(ev), err)
	}
	return ev
}

// putTime is the median time of a PUT to fauxqs of the object the function writes for the workload in batch+zstd,
// made from this process through s3writer as the bootstrap makes it.
func putTime(b *testing.B, h *harness, bucket string, w benchdata.Workload) time.Duration {
	b.Helper()
	enc, err := layout.NewEncoder(config.CompressionZstd)
	if err != nil {
		b.Fatal(err)
	}
	var body bytes.Buffer
	if _, err := enc.Encode(&body, w.Data); err != nil {
		b.Fatal(err)
	}
	cfg := aws.Config{Region: h.stack.Region, BaseEndpoint: aws.String(h.stack.AWSEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider(emulators.AccessKeyID, emulators.SecretAccessKey, "")}
	s3w := s3writer.New(s3writer.NewClient(cfg, true, config.DefaultUploadConcurrency), bucket)
	var times []time.Duration
	for i := range 21 {
		start := time.Now()
		if err := s3w.Put(b.Context(), fmt.Sprintf("bench-put/%d.jsonl.zst", i), body.Bytes(), layout.ContentType(config.CompressionZstd)); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	return median(times[1:]) // the first opens the connection
}

// bootstrapCPU is the CPU time, user and system, that the bootstrap of the function named name has used (Linux,
// in clock ticks of 10 ms: read around many invocations).
func bootstrapCPU(b *testing.B, name string) time.Duration {
	if runtime.GOOS != "linux" {
		return 0
	}
	dir, err := bootstrapProc(name)
	if err != nil {
		b.Fatal(err)
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// pid (comm) state ppid ...: utime and stime are the 12th and 13th fields after the command's closing parenthesis.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// zstdCPUSpeed is zstd -1 -T1's speed on the records in CPU time: it compresses the file twenty times in one process.
func zstdCPUSpeed(b *testing.B, zstdCLI, lines string, size int64) float64 {
	const passes = 20
	cmd := exec.CommandContext(b.Context(), zstdCLI, append([]string{"-1", "-T1", "-q", "-c"}, slices.Repeat([]string{lines}, passes)...)...)
	if out, err := cmd.Output(); err != nil || len(out) == 0 {
		b.Fatalf("zstd -1 -T1: %v", err)
	}
	spent := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return float64(size) * passes / spent.Seconds() / 1e6
}

func median(xs []time.Duration) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
