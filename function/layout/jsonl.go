package layout

import (
	"bytes"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
)

// Encoder writes JSON Lines — one compacted JSON value per line, each line newline-terminated — through a
// compressor. Values are validated and compacted in one pass (jsoncompact.AppendCompact). Lines are gathered in a
// small reusable chunk and handed to the compressor in large writes, so a batch exists once uncompressed (the input)
// and once compressed (the output), never whole in between. An Encoder is reusable but not safe for concurrent use.
type Encoder struct {
	compression string
	gz          *gzip.Writer
	zs          *zstd.Encoder
	zsRoutines  int // the goroutines zs runs on (zstdGoroutines)
	chunk       []byte
	spare       []byte // the second chunk buffer of a pipelined Encode
}

// chunkSize is how many bytes of lines are gathered before each write to the compressor.
const chunkSize = 128 << 10

// NewEncoder returns an Encoder for "gzip", "zstd" or "none".
func NewEncoder(compression string) (*Encoder, error) {
	e := &Encoder{compression: compression, chunk: make([]byte, 0, chunkSize+4096)}
	switch compression {
	case "gzip":
		e.gz, _ = gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
	case "zstd":
		e.zsRoutines = zstdGoroutines()
		zs, err := newZstd(e.zsRoutines)
		if err != nil {
			return nil, err
		}
		e.zs = zs
	case "none":
	default:
		return nil, fmt.Errorf("unknown compression %q", compression)
	}
	return e, nil
}

// zstdGoroutines is how many goroutines zstd runs on: two with more than one core, where it finds the matches of
// one 64 KiB block while it entropy-codes the previous one. The library writes the same bytes either way. One
// encoder at a time: each keeps a history buffer of twice its window (8 MiB).
func zstdGoroutines() int {
	return min(runtime.GOMAXPROCS(0), 2)
}

// newZstd returns a zstd encoder at the fastest level: about twice the default's speed for a ratio within a few
// percent on JSON, which keeps a batch well inside one core's budget.
func newZstd(goroutines int) (*zstd.Encoder, error) {
	zs, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(goroutines), zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return zs, nil
}

// Rejected is a value that Encode left out because it is not valid JSON.
type Rejected struct {
	Index int   // position in the values passed to Encode
	Err   error // the syntax error
}

// Encode appends the JSON Lines encoding of values, compressed, to dst. It checks each value's JSON grammar in the
// same pass that compacts it (the caller need not have checked it): a value that is not exactly one JSON value is
// left out and reported in rejected. The error is for the compressor or the output only.
//
// With more than one core (GOMAXPROCS > 1), zstd runs on two goroutines of its own and, given a few chunks of
// lines, a second goroutine compacts the next chunk while this one compresses the last (pipelined): the compressor
// is given the very same writes either way, and writes the same frame, so the object is byte for byte the same.
func (e *Encoder) Encode(dst *bytes.Buffer, values [][]byte) (rejected []Rejected, err error) {
	return e.EncodeCompacted(dst, values, nil)
}

// EncodeCompacted is Encode for values of which some are known to be compact JSON already: those with asIs[i] set
// (asIs may be shorter than values) are written as they are, saving the pass that checks and compacts them.
func (e *Encoder) EncodeCompacted(dst *bytes.Buffer, values [][]byte, asIs []bool) (rejected []Rejected, err error) {
	pipelined := e.compression != "none" && runtime.GOMAXPROCS(0) > 1 && linesOver(values, pipelineMin)
	var w io.WriteCloser
	switch {
	case e.gz != nil:
		e.gz.Reset(dst)
		w = e.gz
	case e.zs != nil:
		if n := zstdGoroutines(); n != e.zsRoutines { // GOMAXPROCS changed
			if e.zs, err = newZstd(n); err != nil {
				return nil, err
			}
			e.zsRoutines = n
		}
		e.zs.Reset(dst)
		w = e.zs
	default:
		w = nopCloser{dst}
	}
	if pipelined {
		rejected, err = e.pipelined(w, values, asIs)
	} else {
		var last []byte
		rejected, last = compact(e.chunk[:0], values, asIs, func(chunk []byte) []byte {
			if err == nil {
				_, err = w.Write(chunk)
			}
			return chunk[:0]
		})
		if err == nil {
			_, err = w.Write(last)
		}
		e.chunk = reuse(last)
	}
	if err != nil {
		return rejected, err
	}
	return rejected, w.Close()
}

// nopCloser is the uncompressed output: nothing to close.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// pipelineMin is the size of lines from which Encode compacts and compresses side by side: below a few chunks
// there is little to overlap. (A variable for the fuzz test only.)
var pipelineMin = 4 * chunkSize

// compact appends the lines of values to chunk (those marked in asIs as they are) and hands the chunk to flush
// whenever it holds chunkSize bytes or more, going on with the buffer flush returns. It returns the rejected values
// and the last chunk, not flushed.
func compact(chunk []byte, values [][]byte, asIs []bool, flush func([]byte) []byte) ([]Rejected, []byte) {
	var rejected []Rejected
	for i, v := range values {
		var err error
		if i < len(asIs) && asIs[i] {
			chunk = append(chunk, v...)
		} else if chunk, err = jsoncompact.AppendCompact(chunk, v); err != nil {
			rejected = append(rejected, Rejected{Index: i, Err: err})
			continue // AppendCompact appended nothing
		}
		chunk = append(chunk, '\n')
		if len(chunk) >= chunkSize {
			chunk = flush(chunk)
		}
	}
	return rejected, chunk
}

// pipelined runs compact on a goroutine of its own and writes each chunk it hands over to w, here: of two chunk
// buffers, one fills while the other is compressed. After an error from w the rest is compacted but not written.
func (e *Encoder) pipelined(w io.Writer, values [][]byte, asIs []bool) (rejected []Rejected, err error) {
	full, free := make(chan []byte, 1), make(chan []byte, 2)
	if e.spare == nil {
		e.spare = make([]byte, 0, cap(e.chunk))
	}
	free <- e.spare[:0]
	go func() {
		defer close(full)
		var last []byte
		rejected, last = compact(e.chunk[:0], values, asIs, func(chunk []byte) []byte {
			full <- chunk
			return (<-free)[:0]
		})
		full <- last
	}()
	for chunk := range full {
		if err == nil {
			_, err = w.Write(chunk)
		}
		free <- chunk
	}
	e.chunk, e.spare = reuse(<-free), reuse(<-free)
	return rejected, err
}

// linesOver reports whether values take more than n bytes.
func linesOver(values [][]byte, n int) bool {
	for _, v := range values {
		if n -= len(v) + 1; n < 0 {
			return true
		}
	}
	return false
}

// reuse returns a chunk buffer emptied for the next Encode, or a new one if a huge record grew it.
func reuse(chunk []byte) []byte {
	if cap(chunk) > 4*chunkSize {
		return make([]byte, 0, chunkSize+4096)
	}
	return chunk[:0]
}

// Decode reads back a JSON Lines object written by an Encoder: it decompresses per compression and returns the
// lines without their newlines. Tests and the operator tooling use it.
func Decode(body []byte, compression string) ([][]byte, error) {
	var r io.Reader = bytes.NewReader(body)
	switch compression {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", compression, err)
	}
	if len(data) == 0 {
		return nil, nil
	}
	if data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("last line is not newline-terminated")
	}
	return bytes.Split(data[:len(data)-1], []byte{'\n'}), nil
}
