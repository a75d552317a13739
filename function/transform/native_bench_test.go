package transform

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// BenchmarkApply measures the bench transform on the bench records (decoded beforehand): natively, and the gojq way
// (Value.Any, gojq, gojq.Marshal, decoding the output).
func BenchmarkApply(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	tr, err := Compile(`del(.user.email) | .duration_s = (.duration_ms / 1000)`)
	if err != nil {
		b.Fatal(err)
	}
	in := make([]jsonvalue.Value, len(w.Data))
	for i, d := range w.Data {
		if in[i], err = jsonvalue.Decode(d); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("native", func(b *testing.B) {
		var s Scratch
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			if _, _, ok := tr.ApplyNative(in[i%len(in)], &s); !ok {
				b.Fatal("not native")
			}
		}
	})
	b.Run("decode", func(b *testing.B) { // for scale: what reading a record takes
		var dec jsonvalue.Decoder
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			if _, err := dec.Decode(w.Data[i%len(w.Data)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gojq", func(b *testing.B) {
		var dec jsonvalue.Decoder
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			out, _, err := tr.Apply(context.Background(), in[i%len(in)].Any())
			if err != nil {
				b.Fatal(err)
			}
			text, _ := gojq.Marshal(out)
			if _, err := dec.Decode(text); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cpuPerOp reports the CPU time per operation, when the returned function runs: on a shared machine, steadier than
// the wall time.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
