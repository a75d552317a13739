package transform

import (
	"context"
	"errors"
	"testing"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// BenchmarkApply measures the bench transform on the bench records, each decoded just before as Shape does: decoding
// alone, for scale; decoding and the native evaluator; decoding and the gojq way (Value.Any, gojq, gojq.Marshal,
// decoding the output); and decoding and the native evaluator checking its output against the bench schema.
func BenchmarkApply(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	tr, err := Compile(`del(.user.email) | .duration_s = (.duration_ms / 1000)`)
	if err != nil {
		b.Fatal(err)
	}
	bench := func(name string, apply func(in jsonvalue.Value) error) {
		b.Run(name, func(b *testing.B) {
			var dec jsonvalue.Decoder
			defer cpuPerOp(b)()
			for i := 0; b.Loop(); i++ {
				in, err := dec.Decode(w.Data[i%len(w.Data)])
				if err == nil {
					err = apply(in)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	bench("decode", func(jsonvalue.Value) error { return nil })
	var s Scratch
	bench("decode+native", func(in jsonvalue.Value) error {
		if _, _, ok := tr.ApplyNative(in, &s); !ok {
			return errors.New("not native")
		}
		return nil
	})
	sc, err := schema.Compile([]byte(benchdata.Schema), "mem://bench.schema.json")
	if err != nil {
		b.Fatal(err)
	}
	var checked Scratch
	bench("decode+native+schema", func(in jsonvalue.Value) error {
		// As Shape runs it with SCHEMA and nothing else that needs the output's tree.
		if _, _, sure, ok := tr.ApplyNativeChecked(in, &checked, sc.Check(), false); !ok || !sure {
			return errors.New("not native, or not sure")
		}
		return nil
	})
	var dec jsonvalue.Decoder
	bench("decode+gojq", func(in jsonvalue.Value) error {
		out, _, err := tr.Apply(context.Background(), in.Any())
		if err != nil {
			return err
		}
		text, _ := gojq.Marshal(out)
		_, err = dec.Decode(text)
		return err
	})
}

// cpuPerOp reports the CPU time per operation, when the returned function runs: on a shared machine, steadier than
// the wall time.
func cpuPerOp(b *testing.B) func() {
	start := benchdata.CPUTime()
	return func() { b.ReportMetric(float64(benchdata.CPUTime()-start)/float64(b.N), "cpu-ns/op") }
}
