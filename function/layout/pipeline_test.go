package layout

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// encodeWith encodes values with enc on procs cores (GOMAXPROCS), which decides whether Encode is pipelined.
func encodeWith(t testing.TB, enc *Encoder, procs int, values [][]byte) ([]byte, string) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	var buf bytes.Buffer
	rejected, err := enc.Encode(&buf, values)
	if err != nil {
		t.Fatal(err)
	}
	var r strings.Builder
	for _, x := range rejected {
		fmt.Fprintf(&r, "%d: %v\n", x.Index, x.Err)
	}
	return buf.Bytes(), r.String()
}

// lines returns n JSON values of assorted sizes, with white space to compact and every seventh one invalid.
func lines(n int) [][]byte {
	values := make([][]byte, n)
	for i := range values {
		switch {
		case i%7 == 3:
			values[i] = fmt.Appendf(nil, `{"id": %d, "broken": `, i)
		case i%500 == 42: // larger than a chunk
			values[i] = fmt.Appendf(nil, `{"id": %d, "blob": %q}`, i, strings.Repeat("x", 3*chunkSize+i))
		default:
			values[i] = fmt.Appendf(nil, `{ "id" : %d, "user": "u%d", "tags": [ "a", "b" , %d ], "text": %q }`,
				i, i%97, i*i, strings.Repeat("lorem ", i%40))
		}
	}
	return values
}

// TestEncodePipelinedSame holds the pipelined Encode (GOMAXPROCS > 1) to the sequential one: the same bytes and the
// same rejected values, for each compression, with encoders reused from one object to the next.
func TestEncodePipelinedSame(t *testing.T) {
	sizes := []int{0, 1, 100, 3000, 20000}
	for _, compression := range []string{"zstd", "gzip", "none"} {
		one, two := mustEncoder(t, compression), mustEncoder(t, compression)
		for _, n := range sizes {
			values := lines(n)
			pipelined := linesOver(values, pipelineMin)
			wantBody, wantRejected := encodeWith(t, one, 1, values)
			gotBody, gotRejected := encodeWith(t, two, 2, values)
			if !bytes.Equal(gotBody, wantBody) || gotRejected != wantRejected {
				t.Errorf("%s, %d values (pipelined %v): bodies equal %v (%d and %d bytes), rejected %q, want %q",
					compression, n, pipelined, bytes.Equal(gotBody, wantBody), len(gotBody), len(wantBody), gotRejected, wantRejected)
			}
			if n == 20000 && compression != "none" && !pipelined {
				t.Errorf("%d values are not pipelined: the test does not test it", n)
			}
		}
	}
}

func mustEncoder(t testing.TB, compression string) *Encoder {
	t.Helper()
	e, err := NewEncoder(compression)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// FuzzEncodePipelined holds the pipelined Encode to the sequential one on values cut from the input by newlines,
// pipelined whatever their size (TestEncodePipelinedSame has the objects of many chunks).
func FuzzEncodePipelined(f *testing.F) {
	f.Add([]byte("{\"a\": 1}\n[1, 2 ,3]\n\"s\"\nnot json\n{\"b\": {\"c\": null}}"))
	f.Add([]byte("{}\n\n  \n{\"x\":\"\\u00e9\\n\"}\n1e5\n{\"unterminated\": \"abc"))
	f.Add([]byte(strings.Repeat(`{"k": "`+strings.Repeat("v", 1000)+`"}`+"\n", 200)))
	defer func(n int) { pipelineMin = n }(pipelineMin)
	pipelineMin = -1
	one, two := mustEncoder(f, "zstd"), mustEncoder(f, "zstd")
	f.Fuzz(func(t *testing.T, data []byte) {
		values := bytes.Split(data, []byte("\n"))
		wantBody, wantRejected := encodeWith(t, one, 1, values)
		gotBody, gotRejected := encodeWith(t, two, 2, values)
		if !bytes.Equal(gotBody, wantBody) || gotRejected != wantRejected {
			t.Errorf("bodies equal %v, rejected %q, want %q", bytes.Equal(gotBody, wantBody), gotRejected, wantRejected)
		}
	})
}

// TestZstdGoroutinesSame holds the library to what a pipelined Encode relies on: a zstd encoder on two goroutines
// writes the very bytes of one on one goroutine, whatever the input and the size of the writes. The inputs mix what
// changes how a block is written: incompressible runs (stored raw, which restores the repeat offsets), single-byte
// runs, periods that repeat across block boundaries, and JSON lines.
func TestZstdGoroutinesSame(t *testing.T) {
	one, err := newZstd(1)
	if err != nil {
		t.Fatal(err)
	}
	two, err := newZstd(2)
	if err != nil {
		t.Fatal(err)
	}
	var json []byte
	for _, v := range lines(3000) {
		json = append(append(json, v...), '\n')
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		var data []byte
		for len(data) < 1<<20 {
			n := r.IntN(200_000)
			switch r.IntN(4) {
			case 0:
				b := make([]byte, n)
				for j := range b {
					b[j] = byte(r.Uint32())
				}
				data = append(data, b...)
			case 1:
				data = append(data, bytes.Repeat([]byte{byte(r.Uint32())}, n)...)
			case 2:
				period := make([]byte, 1+r.IntN(64))
				for j := range period {
					period[j] = byte(r.Uint32())
				}
				data = append(data, bytes.Repeat(period, n/len(period))...)
			case 3:
				start := r.IntN(len(json) - n)
				data = append(data, json[start:start+n]...)
			}
		}
		write := []int{1 << 17, 4096, 1 + r.IntN(400_000)}[i%3]
		compress := func(zs *zstd.Encoder) []byte {
			var out bytes.Buffer
			zs.Reset(&out)
			for rest := data; len(rest) > 0; rest = rest[min(write, len(rest)):] {
				if _, err := zs.Write(rest[:min(write, len(rest))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := zs.Close(); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}
		if a, b := compress(one), compress(two); !bytes.Equal(a, b) {
			t.Fatalf("input %d (%d bytes, writes of %d): %d bytes on one goroutine, %d on two", i, len(data), write, len(a), len(b))
		}
	}
}
