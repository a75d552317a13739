package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/gzip"
)

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// errTooLarge: the decompressed data exceeds the limit it was given.
var errTooLarge = errors.New("decompressed data exceeds the limit")

// gunzipper decompresses gzip data by streaming it into one scratch buffer that it reuses, and copies the result
// out at its exact size only once it is known to be within the limit. A gzip bomb therefore costs CPU up to the
// limit and memory once, however many of them an invocation holds.
type gunzipper struct {
	zr      gzip.Reader
	scratch []byte
}

// decompress returns the decompressed b, or errTooLarge as soon as it exceeds limit bytes.
func (g *gunzipper) decompress(b []byte, limit int64) ([]byte, error) {
	if err := g.zr.Reset(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	buf := g.scratch[:0]
	r := io.LimitReader(&g.zr, limit+1)
	for {
		if len(buf) == cap(buf) {
			// Grow by doubling, but never past limit+1: enough to see that the data is too large.
			buf = slices.Grow(buf, int(min(int64(max(cap(buf), 4096)), limit+1-int64(len(buf)))))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			g.scratch = buf[:0]
			return nil, fmt.Errorf("gzip: %w", err)
		}
	}
	g.scratch = buf[:0]
	if int64(len(buf)) > limit {
		return nil, errTooLarge
	}
	return bytes.Clone(buf), nil
}
