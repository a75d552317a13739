package event

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
)

// quickData are data values that the quick read must not take as they are: they hold what base64 does not (the
// exact read decides), or break the string at a quote it does not end at.
var quickData = []string{
	`"SGVs` + "\x01" + `bG8="`, // a control character: a syntax error
	`"SGVs` + "\r" + `bG8="`,   // a line break, which the base64 decoder would skip: a syntax error
	`"SGVs` + "\n" + `bG8="`,
	`"SGVs\nbG8="`,             // an escaped line break: base64, as encoding/json reads it
	`"SGVs\"bG8="`,             // an escaped quote: the string does not end there
	`"SGVs\u0062G8="`,          // an escape of a base64 letter
	"\"SGVs\xffbG8=\"",         // invalid UTF-8
	`"SGVsbG8=" "x"`,           // two strings
	`"SGVs bG8="`, `"SGVsbG8"`, // not base64
}

// TestQuickReadFallsBack holds Decode, which reads quickly first, to encoding/json on data the quick read cannot
// take as it is, in the first record and after a valid one.
func TestQuickReadFallsBack(t *testing.T) {
	for _, data := range quickData {
		t.Run(data, func(t *testing.T) {
			bad := record(with(map[string]string{"kinesis.data": data}))
			same(t, events1(bad))
			same(t, events1(record(lambdaFields), bad))
		})
	}
}

// TestLargeData holds the quick read to encoding/json on an event of a few megabytes of data, its records' data in
// one buffer, and on the same event with escaped line breaks in some records' data: base64 that the quick read
// leaves to the exact one.
func TestLargeData(t *testing.T) {
	ev := lambdaEvent(t, 3000)
	big := bytes.Repeat([]byte("QUJD"), 700) // 2.1 kB of data more per record
	ev = bytes.ReplaceAll(ev, []byte(`"data":"`), append([]byte(`"data":"`), big...))
	recs := same(t, ev)
	if len(recs) != 3000 {
		t.Fatalf("%d records", len(recs))
	}
	for i := 1; i < len(recs); i++ {
		if unsafe.Add(unsafe.Pointer(unsafe.SliceData(recs[i-1].Kinesis.Data)), len(recs[i-1].Kinesis.Data)) != unsafe.Pointer(unsafe.SliceData(recs[i].Kinesis.Data)) {
			t.Fatalf("record %d's data does not follow record %d's", i, i-1)
		}
	}
	escaped := bytes.Replace(ev, []byte(`"data":"QUJD`), []byte(`"data":"QU\n\n\n\nJD`), 7) // the first seven records'
	if bytes.Equal(escaped, ev) {
		t.Fatal("no data replaced")
	}
	if recs := same(t, escaped); len(recs) != 3000 {
		t.Fatalf("%d records", len(recs))
	}
}

func FuzzQuickData(f *testing.F) {
	for _, data := range quickData {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data string) {
		same(t, events1(record(lambdaFields), fmt.Sprintf(`{"kinesis":{"data":%s}}`, data)))
	})
}

// sharedRuns are values of a shared string field in consecutive records: the same string again (escaped or not),
// or one the previous is a prefix of, or that differs from it only past its end.
var sharedRuns = [][]string{
	{`"aws:kinesis"`, `"aws:kinesis"`, `"aws:kinesis2"`, `"aws:kinesis"`, `"aws:kinesi"`},
	{`"a\\"`, `"a\\"`, `"a\\\""`, `"a\\"`},
	{`"a\u0062"`, `"a\u0062"`, `"ab"`, `"ab"`, `"a\u0062"`},
	{"\"\xff\"", "\"\xff\"", "\"\xff\xfe\"", `"\ufffd"`},
	{`"x"`, `null`, `"x"`, `1`, `"x"`},
}

// TestSharedStringsRepeated holds the reuse of the previous record's string to encoding/json.
func TestSharedStringsRepeated(t *testing.T) {
	for _, run := range sharedRuns {
		for _, field := range []string{"eventSource", "kinesis.encryptionType", "eventSourceARN"} {
			var recs []string
			for _, v := range run {
				recs = append(recs, record(with(map[string]string{field: v})))
			}
			same(t, events1(recs...))
		}
	}
}

// base64Seeds are values for FuzzFastBase64: long enough for whole blocks of 32 letters, with what is not base64,
// or is only at the end of base64, before, in and after them.
var base64Seeds = func() []string {
	long := strings.Repeat("QUJDREVGR0g", 12)[:96] // 96 letters: three blocks
	seeds := []string{"", "QQ==", "QR==", "QUI=", "QUJ=", long, long + "QQ==", long + "QR==", long + "QUJ=", long + "Q",
		long + "QQ=", long + "Q===", long + "=", long[:45], long[:47], long[:48], long + "\r\nQUJD", "-_" + long}
	for _, at := range []int{0, 5, 31, 32, 33, 50, 63, 64, 70, 95} {
		for _, c := range []string{"=", "\n", "\r", " ", "-", "_", "\x00", "\xff", "\"", "\\"} {
			seeds = append(seeds, long[:at]+c+long[at+1:])
		}
	}
	return seeds
}()

// TestFastBase64Random holds the quick read's base64 decoder to encoding/base64 on random values, whole or
// damaged: on arm64 (make test-arm64, under qemu) it is what checks segmentio/asm's NEON assembly, where Go's fuzzing
// cannot run.
func TestFastBase64Random(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	damage := []byte("AZaz09+/=-_ \n\r\x00\xff.")
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	for range n {
		raw := make([]byte, r.IntN(300))
		for i := range raw {
			raw[i] = byte(r.Uint32())
		}
		src := []byte(base64.StdEncoding.EncodeToString(raw))
		switch r.IntN(3) {
		case 1: // a few letters replaced
			for k := r.IntN(3); k >= 0 && len(src) > 0; k-- {
				src[r.IntN(len(src))] = damage[r.IntN(len(damage))]
			}
		case 2:
			src = src[:r.IntN(len(src)+1)]
		}
		sameBase64(t, src)
	}
}

// sameBase64 fails t unless the quick read's base64 decoder gives encoding/base64's bytes for src, or an error
// where it does.
func sameBase64(t *testing.T, src []byte) {
	t.Helper()
	size := base64.StdEncoding.DecodedLen(len(src))
	want, got := make([]byte, size), make([]byte, size)
	wantN, wantErr := base64.StdEncoding.Decode(want, src)
	n, err := quickBase64(got, src)
	if (err == nil) != (wantErr == nil) || (err == nil && !bytes.Equal(got[:n], want[:wantN])) {
		t.Fatalf("quickBase64(%q) = %q, %v; encoding/base64: %q, %v", src, got[:n], err, want[:wantN], wantErr)
	}
}

// FuzzFastBase64 holds the quick read's base64 decoder to encoding/base64: the same bytes, or an error for both.
func FuzzFastBase64(f *testing.F) {
	for _, s := range base64Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(sameBase64)
}

// secondsSeeds are arrival times for FuzzQuickSeconds.
var secondsSeeds = []string{"1795600800.000", "1795600800.123", "1545084650.987", "1545084650", "0", "0.5", "01", "1.",
	"1.2.3", "1e3", "1.5E+2", "-1.5", "123456789012345", "1234567890123456", "12345678901234.5", "1234567890.12345",
	"9007199254740993", "4503599627370497", "1.000000000000001", "1795600800.000}", "1795600800.000,", "1795600800.000 ",
	"17956008x", "", "."}

// FuzzQuickSeconds holds quickSeconds to strconv.ParseFloat on the number that starts the input, as ScanValue
// delimits it: where quickSeconds answers, it gives the same float64 and end.
func FuzzQuickSeconds(f *testing.F) {
	for _, s := range secondsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, end, ok := quickSeconds(src, 0)
		if !ok {
			return
		}
		wantEnd, err := jsoncompact.ScanValue(src, 0, 0)
		if err != nil || wantEnd != end {
			t.Fatalf("quickSeconds(%q) ends at %d; ScanValue at %d (%v)", src, end, wantEnd, err)
		}
		want, err := strconv.ParseFloat(string(src[:end]), 64)
		if err != nil || got != want {
			t.Fatalf("quickSeconds(%q) = %v; strconv.ParseFloat: %v (%v)", src, got, want, err)
		}
	})
}

// TestDataOutgrowsItsBuffer holds the quick read to encoding/json where the records after the first hold far more
// data than it: the buffer sized from the first record is outgrown, and the rest of the data goes into another.
func TestDataOutgrowsItsBuffer(t *testing.T) {
	recs := []string{record(with(map[string]string{"kinesis.data": `"QQ=="`}))}
	for i := range 200 {
		data := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(i)}, 3000+i))
		recs = append(recs, record(with(map[string]string{"kinesis.data": `"` + data + `"`})))
	}
	if got := same(t, events1(recs...)); len(got) != 201 || len(got[200].Kinesis.Data) != 3199 {
		t.Fatalf("%d records", len(got))
	}
}
