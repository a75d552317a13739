package schema

import (
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// BenchmarkValidateClickstream validates the bench event's records against the analytics schema: on their text
// (SureText, SCHEMA alone), decoded into a tree and checked (Validate, beside other settings), and by the library
// alone (what every record cost before the fast path). It reports CPU time per record.
func BenchmarkValidateClickstream(b *testing.B) {
	w, err := benchdata.Clickstream()
	if err != nil {
		b.Fatal(err)
	}
	s := compile(b, benchdata.Schema)
	d := jsonvalue.Decoder{ShareInput: true}
	for _, c := range []struct {
		name  string
		check func(data []byte) bool
	}{
		{"text", func(data []byte) bool { return s.SureText(data, 0) }},
		{"tree", func(data []byte) bool {
			v, err := d.Decode(data)
			return err == nil && s.Validate(v) == nil
		}},
		{"library", func(data []byte) bool {
			v, err := d.Decode(data)
			return err == nil && s.compiled.Validate(v.Any()) == nil
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			start := benchdata.CPUTime()
			for i := 0; i < b.N; i++ {
				if !c.check(w.Data[i%len(w.Data)]) {
					b.Fatalf("record %d is invalid", i%len(w.Data))
				}
			}
			b.ReportMetric(float64((benchdata.CPUTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/record")
		})
	}
}
