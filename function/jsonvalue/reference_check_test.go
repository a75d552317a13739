package jsonvalue

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/internal/benchdata"
)

// Decoders reused from input to input, as the shaper reuses its own: the differential check decodes with them, so
// that what one record leaves on the stack or in the arena is in place when the next is read.
var (
	reusedFast = [2]Decoder{{}, {ShareInput: true}}
	reusedRef  = [2]refDecoder{{}, {ShareInput: true}}
)

// checkReference holds Decoder to refDecoder, the decoder before its fast paths, for the same input: the same
// error (type, text and offset), or the same tree with the same strings marked plain and the same Compact; copying
// the input and sharing it; with no cap on values and with caps around the number the input has.
func checkReference(t *testing.T, in []byte) {
	t.Helper()
	var probe refDecoder
	_, _ = probe.Decode(in)
	n := probe.d.values // what the input stacks, up to the end or to its error
	for _, limit := range []int{0, 1, 2, n / 2, n - 1, n, n + 1} {
		for k := range reusedFast {
			fast, ref := &reusedFast[k], &reusedRef[k]
			fast.MaxValues, ref.MaxValues = limit, limit
			got, err := fast.Decode(in)
			want, wantErr := ref.Decode(in)
			if g, w := fmt.Sprintf("%T %v", err, err), fmt.Sprintf("%T %v", wantErr, wantErr); g != w {
				t.Fatalf("Decode(%q), MaxValues %d, ShareInput %v: error %s; before the fast paths %s", in, limit, fast.ShareInput, g, w)
			}
			if err == nil && (!sameTree(got, want) || fast.Compact() != ref.Compact()) {
				t.Fatalf("Decode(%q), MaxValues %d, ShareInput %v: %#v, compact %v; before the fast paths %#v, compact %v",
					in, limit, fast.ShareInput, got, fast.Compact(), want, ref.Compact())
			}
		}
	}
}

// sameTree is Equal, flags included.
func sameTree(a, b Value) bool {
	if a.flags != b.flags || a.kind != b.kind || a.text != b.text || len(a.elems()) != len(b.elems()) ||
		a.flags&hasUnpaired != 0 && a.wtf8() != b.wtf8() {
		return false
	}
	for i := range a.elems() {
		if !sameTree(a.elems()[i], b.elems()[i]) {
			return false
		}
	}
	return true
}

// TestStopsFindsTheFirst holds stops to a byte-by-byte search: the lowest byte it marks is the first one that is not
// plain, whatever two bytes at any position hold, the other six plain or not.
func TestStopsFindsTheFirst(t *testing.T) {
	for _, fill := range []string{"abcdefgh", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f", "\xff\xff\xff\xff\xff\xff\xff\xff", "        "} {
		for k := range 7 {
			for pair := range 1 << 16 {
				var word [8]byte
				copy(word[:], fill)
				word[k], word[k+1] = byte(pair), byte(pair>>8)
				want := 8
				for i, c := range word {
					if c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
						want = i
						break
					}
				}
				if got := bits.TrailingZeros64(stops(binary.LittleEndian.Uint64(word[:]))) / 8; got != want {
					t.Fatalf("stops(%q) finds byte %d, want %d", word, got, want)
				}
			}
		}
	}
}

// TestClickstreamMatchesReference holds Decoder to refDecoder on the benchmarks' records (a tenth of them with
// -short), whole and cut short.
func TestClickstreamMatchesReference(t *testing.T) {
	w, err := benchdata.Clickstream()
	if err != nil {
		t.Fatal(err)
	}
	records := w.Data
	if testing.Short() {
		records = records[:500]
	}
	for i, r := range records {
		checkReference(t, r)
		checkReference(t, r[:i%len(r)])
	}
}
