package test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
)

// BenchmarkRecordModeThroughput measures record mode end to end: the built bootstrap under the Lambda RIE writes
// each record of a 200-record Kinesis event to fauxqs, through the fault proxy. It compares the original design's
// one-upload-at-a-time (UPLOAD_CONCURRENCY=1 — still kinder than the original, which also wrote each record to a
// /tmp file first) with the default concurrency, with no added latency and with 20 ms per request, a typical S3
// PUT latency from Lambda (locally a PUT takes about a millisecond, which flatters sequential uploads).
//
//	go test -run '^$' -bench RecordModeThroughput -benchtime 3x ./test/
func BenchmarkRecordModeThroughput(b *testing.B) {
	stack := emulators.StartT(b, emulators.Options{WithoutKinesis: true})
	h := &harness{t: b, stack: stack}
	proxy, err := faultproxy.New(stack.AWSEndpoint)
	if err != nil {
		b.Fatal(err)
	}
	defer proxy.Close()

	const perEvent = 200
	var data []string
	for i := 0; i < perEvent; i++ {
		data = append(data, fmt.Sprintf(`{"event":"page_view","user":"user-%d","path":"/products/%d","ms":%d}`, i%37, i, i*7))
	}
	recs := records(data...)

	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		for _, concurrency := range []int{1, 64} {
			name := fmt.Sprintf("latency=%s/concurrency=%d", latency, concurrency)
			b.Run(name, func(b *testing.B) {
				proxy.SetLatency(latency)
				bucket := h.bucket(b)
				fn := emulators.StartFunctionT(b, emulators.FunctionOptions{
					Env:     h.env(bucket, proxy.URL, map[string]string{"UPLOAD_CONCURRENCY": fmt.Sprint(concurrency)}),
					Timeout: 60 * time.Second,
				})
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					noFailures(b, h.invoke(b, fn, recs))
				}
				b.ReportMetric(float64(perEvent*b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
