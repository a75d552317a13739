package layout

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/kinesis2s3/kinesis2s3/function/jsontext"
)

// Encoder writes JSON Lines — one compacted JSON value per line, each line newline-terminated — through a
// compressor. Lines are gathered in a small reusable chunk and handed to the compressor in large writes, so a batch
// exists once uncompressed (the input) and once compressed (the output), never whole in between. An Encoder is
// reusable but not safe for concurrent use.
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

// Encode appends the JSON Lines encoding of values, compressed, to dst. Each value must be valid JSON; an invalid
// one fails the whole encoding (the caller validated them, so that is a bug, not bad input).
func (e *Encoder) Encode(dst *bytes.Buffer, values [][]byte) error {
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
		// Values without a white space byte are already compact; the others are compacted on the way.
		if !hasSpace(v) {
			chunk = append(chunk, v...)
		} else {
			var err error
			if chunk, err = jsontext.AppendCompact(chunk, v); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
		}
		chunk = append(chunk, '\n')
		if len(chunk) >= chunkSize {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if _, err := w.Write(chunk); err != nil {
		return err
	}
	if cap(chunk) <= 4*chunkSize { // keep the chunk unless one huge record grew it
		e.chunk = chunk[:0]
	}
	switch {
	case e.gz != nil:
		return e.gz.Close()
	case e.zs != nil:
		return e.zs.Close()
	}
	return nil
}

// hasSpace reports whether v holds a JSON white space byte (bytes.IndexAny builds its byte set on every call).
func hasSpace(v []byte) bool {
	for _, c := range v {
		if c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			return true
		}
	}
	return false
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
