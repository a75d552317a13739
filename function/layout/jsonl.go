package layout

import (
	"bytes"
	"fmt"
	"io"

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
	chunk       []byte
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
		// The fastest level: about twice the default's speed for a ratio within a few percent on JSON, which keeps
		// a batch well inside one core's budget. One goroutine per encoder: invocations run one at a time.
		zs, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			return nil, fmt.Errorf("zstd encoder: %w", err)
		}
		e.zs = zs
	case "none":
	default:
		return nil, fmt.Errorf("unknown compression %q", compression)
	}
	return e, nil
}

// Rejected is a value that Encode left out because it is not valid JSON.
type Rejected struct {
	Index int   // position in the values passed to Encode
	Err   error // the syntax error
}

// Encode appends the JSON Lines encoding of values, compressed, to dst. It checks each value's JSON grammar in the
// same pass that compacts it (the caller need not have checked it): a value that is not exactly one JSON value is
// left out and reported in rejected. The error is for the compressor or the output only.
func (e *Encoder) Encode(dst *bytes.Buffer, values [][]byte) (rejected []Rejected, err error) {
	var w io.Writer = dst
	switch {
	case e.gz != nil:
		e.gz.Reset(dst)
		w = e.gz
	case e.zs != nil:
		e.zs.Reset(dst)
		w = e.zs
	}
	chunk := e.chunk[:0]
	for i, v := range values {
		var cerr error
		if chunk, cerr = jsoncompact.AppendCompact(chunk, v); cerr != nil {
			rejected = append(rejected, Rejected{Index: i, Err: cerr})
			continue // AppendCompact appended nothing
		}
		chunk = append(chunk, '\n')
		if len(chunk) >= chunkSize {
			if _, err := w.Write(chunk); err != nil {
				return rejected, err
			}
			chunk = chunk[:0]
		}
	}
	if _, err := w.Write(chunk); err != nil {
		return rejected, err
	}
	if cap(chunk) <= 4*chunkSize { // keep the chunk unless one huge record grew it
		e.chunk = chunk[:0]
	}
	switch {
	case e.gz != nil:
		return rejected, e.gz.Close()
	case e.zs != nil:
		return rejected, e.zs.Close()
	}
	return rejected, nil
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
