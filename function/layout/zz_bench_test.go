package layout

import (
	"bytes"
	"os"
	"testing"
)

func BenchmarkZZEncode(b *testing.B) {
	data, _ := os.ReadFile("/tmp/zc/records.jsonl")
	values := bytes.Split(data[:len(data)-1], []byte("\n"))
	e, _ := NewEncoder("zstd")
	var buf bytes.Buffer
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		buf.Reset()
		e.Encode(&buf, values)
	}
}
