package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/decode"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kpl"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
)

// hostileMemoryMB is the memory size the hostile inputs run at: Lambda's default for this module. Each case must
// keep the bootstrap's peak resident memory (VmHWM) at or below half of it.
const hostileMemoryMB = 512

// TestHostileInputRIE sends the real bootstrap, under the Lambda RIE at AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512 (and
// the Go memory limit the bootstrap derives from it), inputs built to exhaust its memory or time (issue 10). Each
// case asserts its defined outcome (quarantine with a reason, or a partial-batch response that the next invocation
// continues from) and that the bootstrap's peak RSS stayed within half the memory size.
func TestHostileInputRIE(t *testing.T) {
	stack := emulators.StartT(t, emulators.Options{WithoutKinesis: true})
	h := &harness{t: t, stack: stack}
	b := budget.For(hostileMemoryMB)
	peaks := map[string]int64{}
	t.Cleanup(func() {
		for _, name := range slices.Sorted(maps.Keys(peaks)) {
			t.Logf("peak RSS %6.1f MiB  %s", float64(peaks[name])/(1<<20), name)
		}
	})
	start := func(t *testing.T, bucket, endpoint string, env map[string]string, timeout time.Duration) *emulators.Function {
		return h.hostileFunction(t, bucket, endpoint, env, timeout, peaks)
	}

	t.Run("GzipBombsOverTheRecordLimit", func(t *testing.T) {
		// Issue 10, case 1: gzip of "1" and spaces, each just under the old 64 MiB per-record limit; 60 of them fill
		// an event. Each is over the record limit of a 512 MB function: quarantined, never held.
		bomb := gzipOf(jsonAndSpaces(64<<20 - 1))
		recs := records(slices.Repeat([]string{string(bomb)}, 60)...)
		for _, env := range []map[string]string{nil, {"OUTPUT_MODE": "batch", "COMPRESSION": "none"}} {
			bucket := h.bucket(t)
			fn := start(t, bucket, stack.AWSEndpoint, env, 30*time.Second)
			noFailures(t, h.invoke(t, fn, recs))
			for _, q := range h.quarantined(t, bucket, recs) {
				if !strings.Contains(q.Reason, "the limit for one Kinesis record") {
					t.Fatalf("reason %q", q.Reason)
				}
			}
		}
	})

	t.Run("GzipBombsWithinTheRecordLimit", func(t *testing.T) {
		// Valid records that each fit one invocation, but not together: the invocation's budget ends each
		// invocation with a partial-batch response, and the next one carries on from there.
		n := int(b.Invocation/3 - 1<<20) // three fill the invocation's budget, a fourth does not fit
		recs := records(slices.Repeat([]string{string(gzipOf(jsonAndSpaces(n)))}, 9)...)
		bucket := h.bucket(t)
		fn := start(t, bucket, stack.AWSEndpoint, map[string]string{"OUTPUT_MODE": "batch", "COMPRESSION": "none"}, 30*time.Second)
		if invocations := h.drain(t, fn, recs, false); invocations < 3 {
			t.Errorf("%d invocations; the budget allows three records of %d MiB to each, so want at least 3", invocations, n>>20)
		}
		var lines int
		for key := range listObjects(t, h.stack.S3(), bucket, "kinesis/") {
			lines += len(decompressLines(t, "none", h.object(t, bucket, key)))
		}
		if lines != len(recs) {
			t.Errorf("%d lines written; want one per record", lines)
		}
	})

	t.Run("LongPartitionKeyInAggregate", func(t *testing.T) {
		// Issue 10, case 2: a 64 KiB key of control bytes and 2,000 empty user records made 2,000 quarantine
		// objects of 384 KiB each. Now: one object, the aggregate once.
		long := kplOf(strings.Repeat("\x01", 64<<10), make([]string, 2000)...)
		atLimit := kplOf(strings.Repeat("\x01", decode.MaxPartitionKey), make([]string, 2000)...)
		recs := records(string(long), string(atLimit))
		bucket := h.bucket(t)
		fn := start(t, bucket, stack.AWSEndpoint, nil, 30*time.Second)
		noFailures(t, h.invoke(t, fn, recs))
		q := h.quarantined(t, bucket, recs)
		if r := q[recs[0].Seq]; !strings.Contains(r.Reason, "partition key 0 is 65536 bytes") || h.invalidOf(t, bucket, recs[0].Seq) != nil {
			t.Errorf("long key: reason %q; want the aggregate invalid as a whole", r.Reason)
		}
		if inv := h.invalidOf(t, bucket, recs[1].Seq); len(inv) != 2000 || !strings.Contains(inv[1999].Reason, "empty record") {
			t.Errorf("key at the limit: %d invalid entries", len(inv))
		}
		for key := range listObjects(t, h.stack.S3(), bucket, "errors/") {
			if size := len(h.object(t, bucket, key)); size > len(long)*4/3+2000*80+2048 {
				t.Errorf("%s: %d bytes, more than the aggregate once and a short entry per user record", key, size)
			}
		}
	})

	t.Run("TooManyUserRecordsInAggregate", func(t *testing.T) {
		// Issue 10, case 3: 1 MiB records of 174,762 six-byte user records, four to an event.
		huge := kplOf("k", make([]string, (1<<20-kpl.Overhead)/6)...)
		recs := records(slices.Repeat([]string{string(huge)}, 4)...)
		bucket := h.bucket(t)
		fn := start(t, bucket, stack.AWSEndpoint, nil, 30*time.Second)
		noFailures(t, h.invoke(t, fn, recs))
		for _, q := range h.quarantined(t, bucket, recs) {
			if !strings.Contains(q.Reason, "more than 10000 user records") {
				t.Fatalf("reason %q", q.Reason)
			}
		}
	})

	t.Run("NonUTF8PartitionKeyInAggregate", func(t *testing.T) {
		// Issue 10, case 4: the key's bytes must survive, so the record can be replayed exactly.
		agg := kplOf("\xff\xfe\xfd", `{"ok":1}`, `not json`)
		recs := records(string(agg))
		bucket := h.bucket(t)
		fn := start(t, bucket, stack.AWSEndpoint, nil, 30*time.Second)
		noFailures(t, h.invoke(t, fn, recs))
		h.quarantined(t, bucket, recs) // one object, whose data is the aggregate byte for byte
		if inv := h.invalidOf(t, bucket, recs[0].Seq); len(inv) != 1 || inv[0].SubIndex != 1 {
			t.Errorf("invalid user records %+v", inv)
		}
		if got := h.object(t, bucket, "kinesis/"+recs[0].Seq+"-0.json"); string(got) != `{"ok":1}` {
			t.Errorf("valid user record: %q", got)
		}
		if subs, err := decode.Deaggregate(agg); err != nil || subs[0].PartitionKey != "\xff\xfe\xfd" {
			t.Errorf("the quarantined aggregate does not hold the key's bytes: %v", err)
		}
	})

	t.Run("HugeAggregateRecordModeResumes", func(t *testing.T) {
		// 10,000 user records to write one by one, through a proxy that makes each request take 100 ms, with a 5 s
		// timeout: several invocations are needed, and each must continue where the last stopped. However fast the
		// machine, an invocation writes at most 64 (UPLOAD_CONCURRENCY) × 4.5 s (the timeout less its reserve) / 100 ms
		// = 2,880 user records, so the 10,001 take at least four. With 50 ms it was 5,760: two invocations would do
		// where S3 answered in under 8 ms at 64 at once (here, loaded, it took 5 invocations).
		data := make([]string, decode.MaxSubRecords)
		for i := range data {
			data[i] = fmt.Sprintf(`{"i":%d}`, i)
		}
		recs := records(string(kplOf("k", data...)), `{"after":true}`)
		bucket := h.bucket(t)
		proxy := h.proxy(t)
		proxy.SetLatency(100 * time.Millisecond)
		fn := start(t, bucket, proxy.URL, nil, 5*time.Second)
		invocations := h.drain(t, fn, recs, true)
		if invocations < 4 {
			t.Fatalf("%d invocations: the proxy's latency should have made the aggregate take several", invocations)
		}
		if n := len(listObjects(t, h.stack.S3(), bucket, "kinesis/")); n != len(data)+1 {
			t.Fatalf("%d data objects; want %d", n, len(data)+1)
		}
		puts := proxy.Count(func(e faultproxy.Entry) bool { return e.IsObjectPut() && strings.HasPrefix(e.Key, "kinesis/") })
		// What an invocation leaves unsure may be written again: the PUTs under way when it stops, and those that
		// finished after the first of them (the marker counts the user records written from the first without a
		// gap). Each is at most the upload concurrency (64).
		if limit := len(data) + 1 + invocations*2*64; puts > limit {
			t.Errorf("%d data PUTs in %d invocations; at most %d if written user records are not written again", puts, invocations, limit)
		}
		t.Logf("%d invocations, %d data PUTs for %d user records", invocations, puts, len(data)+1)
	})

	t.Run("DeeplyNestedArrays", func(t *testing.T) {
		nested := strings.Repeat("[", 1<<19) + strings.Repeat("]", 1<<19) // 1 MiB
		recs := records(nested, nested, nested)
		for _, mode := range []string{"record", "batch"} {
			bucket := h.bucket(t)
			fn := start(t, bucket, stack.AWSEndpoint, map[string]string{"OUTPUT_MODE": mode}, 30*time.Second)
			noFailures(t, h.invoke(t, fn, recs))
			for _, q := range h.quarantined(t, bucket, recs) {
				if !strings.Contains(q.Reason, "exceeded max depth") {
					t.Fatalf("%s: reason %q", mode, q.Reason)
				}
			}
		}
	})

	t.Run("StringOfEscapes", func(t *testing.T) {
		escapes := `"` + strings.Repeat(`\u0000\"\\\n`, (1<<20-2)/12) + `"` // 1 MiB of valid JSON
		recs := records(escapes, escapes, escapes)
		bucket := h.bucket(t)
		fn := start(t, bucket, stack.AWSEndpoint, nil, 30*time.Second)
		noFailures(t, h.invoke(t, fn, recs))
		want := map[string][]byte{}
		for _, r := range recs {
			want["kinesis/"+r.Seq+".json"] = r.Data
		}
		h.objectsAre(t, bucket, want)
	})

	t.Run("AggregateOfGzipUserRecords", func(t *testing.T) {
		// 400 user records of 2 MiB each once decompressed, 800 MiB from one record under 1 MiB: the record limit
		// (30 MiB at 512 MB) admits the first 15; the others are listed in the aggregate's quarantine object.
		sub := string(gzipOf(jsonAndSpaces(2 << 20)))
		recs := records(string(kplOf("k", slices.Repeat([]string{sub}, 400)...)))
		bucket := h.bucket(t)
		fn := start(t, bucket, stack.AWSEndpoint, nil, 30*time.Second)
		noFailures(t, h.invoke(t, fn, recs))
		fit := int(b.Record / (2 << 20))
		if n := len(listObjects(t, h.stack.S3(), bucket, "kinesis/")); n != fit {
			t.Errorf("%d user records written; want the %d that fit the record limit", n, fit)
		}
		h.quarantined(t, bucket, recs)
		if inv := h.invalidOf(t, bucket, recs[0].Seq); len(inv) != 400-fit || inv[0].SubIndex != fit ||
			!strings.Contains(inv[0].Reason, "limit for one Kinesis record") {
			t.Errorf("%d invalid entries; want %d from %d, for the record limit", len(inv), 400-fit, fit)
		}
	})

	t.Run("ManyJSONValuesWithSchema", func(t *testing.T) {
		// With SCHEMA each record is decoded into a tree of 32 bytes a value (48 then): a 14 KB gzip record of 7 million
		// values took a GiB. Over the cap of values it is quarantined; under it, Parquet rows (24 bytes a value, and
		// as much for the writer) are charged to the budget, so a batch of them takes several invocations.
		schema := filepath.Join(t.TempDir(), "numbers.json")
		if err := os.WriteFile(schema, []byte(`{"type":"object","properties":{"xs":{"type":"array","items":{"type":"integer"}}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		numbers := func(n int) string { return string(gzipOf([]byte(`{"xs":[` + strings.Repeat("1,", n-1) + `1]}`))) }
		deep := records(slices.Repeat([]string{numbers(int(b.Record/4) - 10)}, 3)...)
		for _, format := range []string{"jsonl", "parquet"} {
			bucket := h.bucket(t)
			fn := start(t, bucket, stack.AWSEndpoint, map[string]string{"OUTPUT_MODE": "batch", "SCHEMA": schema, "FORMAT": format}, 30*time.Second)
			noFailures(t, h.invoke(t, fn, deep))
			for _, q := range h.quarantined(t, bucket, deep) {
				if !strings.Contains(q.Reason, fmt.Sprintf("shape: more than %d JSON values", b.Values)) {
					t.Fatalf("%s: reason %q", format, q.Reason)
				}
			}
		}
		wide := records(slices.Repeat([]string{numbers(b.Values - 10)}, 30)...)
		bucket := h.bucket(t)
		env := map[string]string{"OUTPUT_MODE": "batch", "SCHEMA": schema, "FORMAT": "parquet", "COMPRESSION": "zstd"}
		fn := start(t, bucket, stack.AWSEndpoint, env, 30*time.Second)
		if invocations := h.drain(t, fn, wide, false); invocations < 8 {
			t.Errorf("%d invocations; the budget holds fewer than 4 rows of %d values, so want at least 8", invocations, b.Values)
		}
		if n := len(listObjects(t, h.stack.S3(), bucket, "errors/")); n != 0 {
			t.Errorf("%d records quarantined; want none", n)
		}
	})

	t.Run("TenThousandOneByteRecords", func(t *testing.T) {
		data := make([]string, 10000)
		for i := range data {
			data[i] = string("0123456789x"[i%11]) // digits are JSON, x is not
		}
		recs := records(data...)
		for _, mode := range []string{"record", "batch"} {
			bucket := h.bucket(t)
			fn := start(t, bucket, stack.AWSEndpoint, map[string]string{"OUTPUT_MODE": mode}, 30*time.Second)
			h.drain(t, fn, recs, false)
			invalid := len(data) / 11
			if n := len(listObjects(t, h.stack.S3(), bucket, "errors/")); n != invalid {
				t.Errorf("%s: %d quarantined; want %d", mode, n, invalid)
			}
			if n := len(listObjects(t, h.stack.S3(), bucket, "kinesis/")); mode == "record" && n != len(data)-invalid {
				t.Errorf("record: %d data objects; want %d", n, len(data)-invalid)
			}
		}
	})
}

// hostileFunction starts a 512 MB function of its own for one case, so that its bootstrap's peak RSS is the
// case's; when the case ends it records the peak and fails the case if it is over half the memory size.
func (h *harness) hostileFunction(t *testing.T, bucket, endpoint string, env map[string]string, timeout time.Duration, peaks map[string]int64) *emulators.Function {
	t.Helper()
	name := "hostile-" + bucket // a bucket per function: the name is unique in the test
	fn := emulators.StartFunctionT(t, emulators.FunctionOptions{
		Env: h.env(bucket, endpoint, env), Timeout: timeout, MemoryMB: hostileMemoryMB, Name: name,
	})
	t.Cleanup(func() { // before StartFunctionT's cleanup (LIFO): the bootstrap still runs
		if runtime.GOOS != "linux" {
			return // VmHWM is read from /proc
		}
		peak, err := peakRSS(name)
		if err != nil {
			t.Errorf("peak RSS: %v", err)
			return
		}
		peaks[t.Name()+" "+fmt.Sprint(env)] = peak
		if limit := int64(hostileMemoryMB) << 20 / 2; peak > limit {
			t.Errorf("bootstrap peak RSS %d MiB, over half the memory size (%d MiB)", peak>>20, limit>>20)
		}
	})
	return fn
}

// bootstrapProc returns the /proc directory of the bootstrap process of the function named name: the process whose
// executable is called bootstrap and whose environment names the function.
func bootstrapProc(name string) (string, error) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		exe, _ := os.Readlink(dir + "/exe")
		env, _ := os.ReadFile(dir + "/environ")
		env = append([]byte{0}, env...) // each variable between NULs
		if filepath.Base(exe) == "bootstrap" && bytes.Contains(env, []byte("\x00AWS_LAMBDA_FUNCTION_NAME="+name+"\x00")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no bootstrap process for function %s", name)
}

// peakRSS returns the VmHWM of the bootstrap process of the function named name.
func peakRSS(name string) (int64, error) {
	dir, err := bootstrapProc(name)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(dir + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("%s/status has no VmHWM", dir)
}

// drain invokes the function with recs, then again from each reported record, until nothing is reported, and
// returns the number of invocations. Each must make progress: report a later record than the one it started
// from, unless sameFirst allows a record to stay first (record mode resuming inside an aggregate).
func (h *harness) drain(t *testing.T, fn *emulators.Function, recs []kinesisRecord, sameFirst bool) int {
	t.Helper()
	for invocations := 1; invocations <= 30; invocations++ {
		resp := h.invoke(t, fn, recs)
		if len(resp.BatchItemFailures) == 0 {
			return invocations
		}
		k := slices.IndexFunc(recs, func(r kinesisRecord) bool { return r.Seq == resp.BatchItemFailures[0].ItemIdentifier })
		if k < 0 || (k == 0 && !sameFirst) {
			t.Fatalf("invocation %d reported %q: no progress through %d records", invocations, resp.BatchItemFailures[0].ItemIdentifier, len(recs))
		}
		recs = recs[k:]
	}
	t.Fatalf("not done after 30 invocations")
	return 0
}

// jsonAndSpaces is the JSON value 1 followed by spaces, n bytes in all: valid, and compressible about 1000:1.
func jsonAndSpaces(n int) []byte {
	b := bytes.Repeat([]byte(" "), n)
	b[0] = '1'
	return b
}

func gzipOf(b []byte) []byte {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// kplOf is a KPL aggregate of data, every user record under key.
func kplOf(key string, data ...string) []byte {
	recs := make([]kpl.Record, len(data))
	for i, d := range data {
		recs[i] = kpl.Record{PartitionKey: key, Data: []byte(d)}
	}
	return kpl.Marshal(recs)
}

// invalidEntry is one element of an aggregate's quarantine "invalid" list.
type invalidEntry struct {
	SubIndex int    `json:"subIndex"`
	Reason   string `json:"reason"`
}

// invalidOf returns the invalid list of the quarantine object of the record with sequence number seq.
func (h *harness) invalidOf(t *testing.T, bucket, seq string) []invalidEntry {
	t.Helper()
	for key := range listObjects(t, h.stack.S3(), bucket, "errors/") {
		if strings.HasSuffix(key, "-"+seq+".json") {
			var q struct {
				Invalid []invalidEntry `json:"invalid"`
			}
			if err := json.Unmarshal(h.object(t, bucket, key), &q); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			return q.Invalid
		}
	}
	t.Fatalf("no quarantine object for %s", seq)
	return nil
}
