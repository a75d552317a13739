package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis2s3/kinesis2s3/function/decode"
)

// fakeKinesis is a scripted stand-in for the Kinesis client: it records every call and answers with what
// respond says, or accepts everything.
type fakeKinesis struct {
	mu      sync.Mutex
	calls   []*kinesis.PutRecordsInput
	seq     int
	respond func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error)
	// accepted maps partition key + data to the sequence number handed out.
	accepted map[string]string
}

func (f *fakeKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Keep a copy: the caller owns in.
	c := *in
	c.Records = slices.Clone(in.Records)
	f.calls = append(f.calls, &c)
	if f.respond != nil {
		out, err := f.respond(len(f.calls), &c)
		if out != nil || err != nil {
			f.record(&c, out)
			return out, err
		}
	}
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i := range out.Records {
		out.Records[i] = f.success()
	}
	f.record(&c, out)
	return out, nil
}

func (f *fakeKinesis) success() types.PutRecordsResultEntry {
	f.seq++
	return types.PutRecordsResultEntry{
		SequenceNumber: aws.String(fmt.Sprintf("4960000000000000000000000000000000000000000000%010d", f.seq)),
		ShardId:        aws.String("shardId-00000000000" + strconv.Itoa(f.seq%2)),
	}
}

func (f *fakeKinesis) record(in *kinesis.PutRecordsInput, out *kinesis.PutRecordsOutput) {
	if out == nil || len(out.Records) != len(in.Records) {
		return
	}
	if f.accepted == nil {
		f.accepted = map[string]string{}
	}
	for i, r := range out.Records {
		if r.ErrorCode == nil && r.SequenceNumber != nil {
			f.accepted[*in.Records[i].PartitionKey+"|"+string(in.Records[i].Data)] = *r.SequenceNumber
		}
	}
}

// keys returns the partition keys of each call, which the tests set to identify the records.
func (f *fakeKinesis) keys() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]string
	for _, c := range f.calls {
		var ks []string
		for _, e := range c.Records {
			ks = append(ks, *e.PartitionKey)
		}
		out = append(out, ks)
	}
	return out
}

// answer builds a response: codes[i] is the error code for entry i, "" for success.
func (f *fakeKinesis) answer(codes ...string) *kinesis.PutRecordsOutput {
	out := &kinesis.PutRecordsOutput{}
	for _, code := range codes {
		if code == "" {
			out.Records = append(out.Records, f.success())
			continue
		}
		out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
		out.Records = append(out.Records, types.PutRecordsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("scripted")})
	}
	return out
}

// indexGen makes records {"n": i} with partition key "k<i>", so calls show which records they carry.
func indexGen(t *testing.T) *Generator {
	return newGen(t, Options{Template: `{"n": {{index}}}`, PartitionKey: `k{{.n}}`, Seed: 1})
}

func keyRange(from, to int) []string {
	var ks []string
	for i := from; i < to; i++ {
		ks = append(ks, "k"+strconv.Itoa(i))
	}
	return ks
}

// noBackoff records the attempts it was asked about and never waits.
type noBackoff struct {
	mu       sync.Mutex
	attempts []int
}

func (b *noBackoff) backoff(attempt int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts = append(b.attempts, attempt)
	return 0
}

func testConfig(count int64) Config {
	return Config{Stream: "s", Count: count, Concurrency: 1, Linger: time.Hour, Backoff: (&noBackoff{}).backoff}
}

func checkAccounting(t *testing.T, s Stats) {
	t.Helper()
	if s.Generated != s.Sent+s.Failed+s.Unsent {
		t.Errorf("generated %d != sent %d + failed %d + unsent %d", s.Generated, s.Sent, s.Failed, s.Unsent)
	}
}

func TestBatchesOfAtMost500InOrder(t *testing.T) {
	f := &fakeKinesis{}
	s, err := Run(context.Background(), f, indexGen(t), testConfig(1234))
	if err != nil {
		t.Fatal(err)
	}
	calls := f.keys()
	if len(calls) != 3 || len(calls[0]) != 500 || len(calls[1]) != 500 || len(calls[2]) != 234 {
		t.Fatalf("batch sizes %v, want 500 500 234", lens(calls))
	}
	if got := slices.Concat(calls...); !slices.Equal(got, keyRange(0, 1234)) {
		t.Fatalf("records not sent once each in order")
	}
	if s.Generated != 1234 || s.Sent != 1234 || s.Failed != 0 || s.Calls != 3 || s.UserRecords != 1234 {
		t.Fatalf("stats %+v", s)
	}
	checkAccounting(t, s)
}

func lens(calls [][]string) []int {
	var n []int
	for _, c := range calls {
		n = append(n, len(c))
	}
	return n
}

func TestBatchSizeOption(t *testing.T) {
	f := &fakeKinesis{}
	cfg := testConfig(20)
	cfg.BatchSize = 7
	if _, err := Run(context.Background(), f, indexGen(t), cfg); err != nil {
		t.Fatal(err)
	}
	if got := lens(f.keys()); !slices.Equal(got, []int{7, 7, 6}) {
		t.Fatalf("batch sizes %v, want 7 7 6", got)
	}
}

func TestBatchesStayUnder5MiB(t *testing.T) {
	// Records of 200,000 bytes plus key: 26 fit in 5 MiB, the 27th does not.
	g := newGen(t, Options{Template: `{"n": {{index}}, "pad": "{{printf "%199980s" ""}}"}`, PartitionKey: `k{{.n}}`, Seed: 1})
	f := &fakeKinesis{}
	s, err := Run(context.Background(), f, g, testConfig(100))
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var sizes []int
	for _, c := range f.calls {
		size := 0
		for _, e := range c.Records {
			size += len(e.Data) + len(*e.PartitionKey)
		}
		if size > MaxBatchBytes {
			t.Errorf("a call carries %d bytes, over %d", size, MaxBatchBytes)
		}
		sizes = append(sizes, len(c.Records))
	}
	if !slices.Equal(sizes, []int{26, 26, 26, 22}) {
		t.Errorf("batch sizes %v, want 26 26 26 22", sizes)
	}
	if s.Sent != 100 {
		t.Errorf("sent %d of 100", s.Sent)
	}
}

func TestPartialFailureResendsOnlyFailedInOrder(t *testing.T) {
	const throttle, internal = "ProvisionedThroughputExceededException", "InternalFailure"
	f := &fakeKinesis{}
	f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
		switch call {
		case 1: // k1, k4, k7 fail
			return f.answer("", throttle, "", "", internal, "", "", throttle, "", ""), nil
		case 2: // of the resent k1, k4, k7, k4 fails again
			return f.answer("", internal, ""), nil
		}
		return nil, nil
	}
	var out bytes.Buffer
	b := &noBackoff{}
	cfg := testConfig(10)
	cfg.Backoff, cfg.Output = b.backoff, &out
	s, err := Run(context.Background(), f, indexGen(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.keys()
	want := [][]string{keyRange(0, 10), {"k1", "k4", "k7"}, {"k4"}}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	if !slices.Equal(b.attempts, []int{1, 2}) {
		t.Errorf("backoff asked for attempts %v, want [1 2]", b.attempts)
	}
	if s.Sent != 10 || s.Failed != 0 || s.ThrottledRetries != 2 || s.ErrorRetries != 2 || s.Calls != 3 {
		t.Fatalf("stats %+v", s)
	}
	checkAudit(t, f, &out, 10)
}

// checkAudit reads the output file and checks each line against what the fake accepted.
func checkAudit(t *testing.T, f *fakeKinesis, out *bytes.Buffer, want int) []AuditRecord {
	t.Helper()
	lines, err := ReadAudit(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != want {
		t.Fatalf("%d output lines, want %d", len(lines), want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[string]bool{}
	for _, l := range lines {
		data, err := l.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		seq, ok := f.accepted[l.PartitionKey+"|"+string(data)]
		if !ok || seq != l.SequenceNumber {
			t.Errorf("line %d: sequence number %q, Kinesis gave %q (accepted %v)", l.Index, l.SequenceNumber, seq, ok)
		}
		if seen[seq] {
			t.Errorf("sequence number %s appears twice", seq)
		}
		seen[seq] = true
		if !strings.HasPrefix(l.ShardID, "shardId-") {
			t.Errorf("line %d: shard id %q", l.Index, l.ShardID)
		}
	}
	return lines
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	f := &fakeKinesis{}
	f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
		codes := make([]string, len(in.Records))
		for i, e := range in.Records {
			if *e.PartitionKey == "k2" {
				codes[i] = "ProvisionedThroughputExceededException"
			}
		}
		return f.answer(codes...), nil
	}
	var out bytes.Buffer
	cfg := testConfig(5)
	cfg.MaxAttempts, cfg.Output = 3, &out
	s, err := Run(context.Background(), f, indexGen(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.keys()) != "[[k0 k1 k2 k3 k4] [k2] [k2]]" {
		t.Fatalf("calls %v", f.keys())
	}
	if s.Sent != 4 || s.Failed != 1 || s.ThrottledRetries != 2 || s.FailedByCode["ProvisionedThroughputExceededException"] != 1 {
		t.Fatalf("stats %+v", s)
	}
	for _, l := range checkAudit(t, f, &out, 4) {
		if l.PartitionKey == "k2" {
			t.Error("the output file lists a record Kinesis never accepted")
		}
	}
	checkAccounting(t, s)
	if !strings.Contains(s.Summary(), "failed 1 ") || !strings.Contains(s.Summary(), "ProvisionedThroughputExceededException 1") {
		t.Errorf("summary %q", s.Summary())
	}
}

func TestUnretryableEntryCodesFailAtOnce(t *testing.T) {
	f := &fakeKinesis{}
	f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
		return f.answer("KMSAccessDeniedException", ""), nil
	}
	s, err := Run(context.Background(), f, indexGen(t), testConfig(2))
	if err != nil {
		t.Fatal(err)
	}
	if s.Calls != 1 || s.Sent != 1 || s.Failed != 1 || s.FailedByCode["KMSAccessDeniedException"] != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSuccessWithoutSequenceNumberIsNotSent(t *testing.T) {
	f := &fakeKinesis{}
	f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
		return &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}, nil
	}
	cfg := testConfig(3)
	cfg.MaxAttempts = 2
	s, err := Run(context.Background(), f, indexGen(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sent != 0 || s.Failed != 3 || s.FailedByCode["NoSequenceNumber"] != 3 || s.Calls != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCallErrors(t *testing.T) {
	cases := []struct {
		name      string
		err       func(call int) error
		attempts  int
		wantErr   string // "" if the run succeeds
		wantCalls int64
		check     func(t *testing.T, s Stats)
	}{
		{
			name:     "missing stream is fatal",
			err:      func(int) error { return &types.ResourceNotFoundException{Message: aws.String("Stream s not found")} },
			attempts: 5, wantErr: "ResourceNotFoundException", wantCalls: 1,
			check: func(t *testing.T, s Stats) {
				if s.Sent != 0 || s.Failed != 500 || s.FailedByCode["ResourceNotFoundException"] != 500 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "transport error is retried",
			err: func(call int) error {
				if call == 1 {
					return errors.New("read: connection reset by peer")
				}
				return nil
			},
			attempts: 5, wantCalls: 3,
			check: func(t *testing.T, s Stats) {
				if s.Sent != 1000 || s.ErrorRetries != 500 || s.ThrottledRetries != 0 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name: "throttled call is retried",
			err: func(call int) error {
				if call == 1 {
					return &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
				}
				return nil
			},
			attempts: 5, wantCalls: 3,
			check: func(t *testing.T, s Stats) {
				if s.Sent != 1000 || s.ThrottledRetries != 500 {
					t.Errorf("stats %+v", s)
				}
			},
		},
		{
			name:     "server fault on every attempt stops the run",
			err:      func(int) error { return &types.InternalFailureException{Message: aws.String("oops")} },
			attempts: 3, wantErr: "InternalFailure", wantCalls: 3,
			check: func(t *testing.T, s Stats) {
				if s.Sent != 0 || s.Failed != 500 || s.ErrorRetries != 1000 {
					t.Errorf("stats %+v", s)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeKinesis{}
			f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
				return nil, c.err(call)
			}
			cfg := testConfig(1000)
			cfg.MaxAttempts = c.attempts
			s, err := Run(context.Background(), f, indexGen(t), cfg)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if s.Calls != c.wantCalls {
				t.Errorf("%d calls, want %d", s.Calls, c.wantCalls)
			}
			c.check(t, s)
			checkAccounting(t, s)
		})
	}
}

func TestMismatchedResultCountIsFatal(t *testing.T) {
	f := &fakeKinesis{}
	f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
		return f.answer(""), nil // one result for three records
	}
	s, err := Run(context.Background(), f, indexGen(t), testConfig(3))
	if err == nil || !strings.Contains(err.Error(), "1 results for 3 records") {
		t.Fatalf("error %v", err)
	}
	if s.Sent != 0 || s.Failed != 3 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCancelFinishesCallsInFlightAndAccountsForAll(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeKinesis{}
	f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
		if call == 3 {
			cancel() // Ctrl-C while the third call is in flight: its answer still counts
		}
		return nil, nil
	}
	var out bytes.Buffer
	cfg := testConfig(0) // no count: until canceled
	cfg.Output = &out
	s, err := Run(ctx, f, indexGen(t), cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if s.Sent != 1500 || s.Calls != 3 || s.Failed != 0 {
		t.Fatalf("stats %+v: want the 3 calls made to be sent and nothing more", s)
	}
	checkAccounting(t, s)
	checkAudit(t, f, &out, 1500)
}

// A cancel while a call is in flight or during the backoff after it fails the rejected record; it is not
// counted as retried, since it never is.
func TestCancelDuringBackoffCountsRejectedAsFailed(t *testing.T) {
	for _, duringBackoff := range []bool{false, true} {
		t.Run(fmt.Sprintf("duringBackoff=%v", duringBackoff), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &fakeKinesis{}
			f.respond = func(call int, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
				if !duringBackoff {
					cancel()
				}
				codes := make([]string, len(in.Records))
				codes[0] = "ProvisionedThroughputExceededException"
				return f.answer(codes...), nil
			}
			cfg := testConfig(10)
			backoffs := 0
			cfg.Backoff = func(int) time.Duration {
				backoffs++
				cancel()
				return time.Hour // the run ends only if the cancel cuts the sleep short
			}
			s, err := Run(ctx, f, indexGen(t), cfg)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v", err)
			}
			if s.Calls != 1 || s.Sent != 9 || s.Failed != 1 || s.ThrottledRetries != 0 || s.ErrorRetries != 0 {
				t.Fatalf("stats %+v", s)
			}
			if want := map[bool]int{false: 0, true: 1}[duringBackoff]; backoffs != want {
				t.Errorf("%d backoffs, want %d", backoffs, want)
			}
			checkAccounting(t, s)
		})
	}
}

func TestTemplateErrorStopsTheRun(t *testing.T) {
	g := newGen(t, Options{Template: `{{if eq index 3}}oops{{else}}{}{{end}}`, PartitionKey: "k", Seed: 1})
	s, err := Run(context.Background(), &fakeKinesis{}, g, testConfig(10))
	if err == nil || !strings.Contains(err.Error(), "invalid record 3") {
		t.Fatalf("error %v", err)
	}
	if s.Generated != 3 {
		t.Errorf("generated %d, want 3", s.Generated)
	}
	checkAccounting(t, s)
}

func TestDurationStopsCleanly(t *testing.T) {
	f := &fakeKinesis{}
	cfg := testConfig(0)
	cfg.Duration, cfg.Rate, cfg.Linger = 200*time.Millisecond, 200, 10*time.Millisecond
	s, err := Run(context.Background(), f, indexGen(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Generated == 0 || s.Sent != s.Generated || s.Unsent != 0 {
		t.Fatalf("stats %+v: a duration ends the run normally, sending all it generated", s)
	}
}

func TestStreamNameOrARN(t *testing.T) {
	for _, stream := range []string{"orders", "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"} {
		f := &fakeKinesis{}
		cfg := testConfig(1)
		cfg.Stream = stream
		if _, err := Run(context.Background(), f, indexGen(t), cfg); err != nil {
			t.Fatal(err)
		}
		in := f.calls[0]
		name, arn := aws.ToString(in.StreamName), aws.ToString(in.StreamARN)
		if strings.HasPrefix(stream, "arn:") && (arn != stream || name != "") || !strings.HasPrefix(stream, "arn:") && (name != stream || arn != "") {
			t.Errorf("stream %q sent as name %q arn %q", stream, name, arn)
		}
	}
}

func TestOutputLinesForEveryKind(t *testing.T) {
	o := builtinOptions(t, "orders", 9)
	o.InvalidFraction, o.KPLFraction, o.InvalidKinds = 0.5, 0.25, InvalidKinds
	o.LateFraction, o.LateBy = 0.2, time.Hour
	g := newGen(t, o)
	f := &fakeKinesis{}
	var out bytes.Buffer
	cfg := testConfig(200)
	cfg.Output = &out
	s, err := Run(context.Background(), f, g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := checkAudit(t, f, &out, 200)
	kinds := map[Kind]int64{}
	var users, late int64
	for _, l := range lines {
		kinds[l.Kind]++
		if l.Late {
			late++
		}
		data, _ := l.Bytes()
		textual := l.Data != nil
		if textual != (l.Kind != KindBadUTF8 && l.Kind != KindKPL && l.Kind != KindBadKPL) {
			t.Errorf("%s record written as text=%v", l.Kind, textual)
		}
		switch l.Kind {
		case KindKPL:
			users += int64(len(l.Records))
			if len(l.Records) != DefaultKPLRecords {
				t.Errorf("kpl line lists %d user records", len(l.Records))
			}
			subs, err := decode.Deaggregate(data)
			if err != nil || len(subs) != len(l.Records) {
				t.Fatalf("kpl line does not de-aggregate to its records: %v", err)
			}
			for i, sub := range l.Records {
				b, _ := sub.Bytes()
				if !bytes.Equal(b, subs[i].Data) || sub.PartitionKey != subs[i].PartitionKey {
					t.Errorf("kpl line user record %d differs from the aggregate", i)
				}
			}
		case KindBadKPL:
			users++
			if len(l.Records) != 2 {
				t.Errorf("bad-kpl line lists %d user records, want 2", len(l.Records))
			}
		default:
			users++
		}
	}
	var invalid int64
	for _, k := range InvalidKinds {
		if kinds[k] == 0 {
			t.Errorf("no %s record among 200", k)
		}
		invalid += kinds[k]
	}
	if s.Invalid != invalid || s.KPL != kinds[KindKPL] || s.UserRecords != users || s.Late != late || late == 0 {
		t.Errorf("stats invalid %d kpl %d users %d late %d, output has %d, %d, %d, %d", s.Invalid, s.KPL, s.UserRecords, s.Late, invalid, kinds[KindKPL], users, late)
	}
}

func TestDryRunIsReproducible(t *testing.T) {
	dry := func() string {
		o := builtinOptions(t, "iot", 99)
		o.InvalidFraction, o.KPLFraction = 0.2, 0.2
		var b bytes.Buffer
		if err := DryRun(newGen(t, o), 50, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	a := dry()
	lines, err := ReadAudit(strings.NewReader(a))
	if err != nil || len(lines) != 50 || lines[49].Index != 49 || lines[0].SequenceNumber != "" {
		t.Fatalf("dry run: %d lines, %v", len(lines), err)
	}
	if a != dry() {
		t.Error("two dry runs with the same seed and clock differ")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{}, {Stream: "s", Count: -1}, {Stream: "s", BatchSize: 501}, {Stream: "s", Rate: -1}} {
		if _, err := Run(context.Background(), &fakeKinesis{}, indexGen(t), cfg); err == nil {
			t.Errorf("Run accepted %+v", cfg)
		}
	}
}

func TestProgressAndSummary(t *testing.T) {
	s := Stats{Generated: 600, Sent: 500, Failed: 10, ThrottledRetries: 7, Elapsed: 5 * time.Second, Target: 1000,
		Invalid: 3, KPL: 2, Late: 1, UserRecords: 518, Calls: 4, FailedByCode: map[string]int64{"InternalFailure": 4, "ProvisionedThroughputExceededException": 6}}
	if got, want := s.ProgressLine(), "sent 500/1000 (50%)  100 rec/s  throttled 7  failed 10  ETA 5s"; got != want {
		t.Errorf("progress %q\nwant     %q", got, want)
	}
	want := "generated 600 sent 500 failed 10 throttled-retries 7 invalid 3 kpl 2 late 1 unsent 0 error-retries 0 user-records 518 calls 4 elapsed 5s rate 100.0/s (failed: InternalFailure 4, ProvisionedThroughputExceededException 6)"
	if got := s.Summary(); got != want {
		t.Errorf("summary %q\nwant    %q", got, want)
	}
	d := Stats{Sent: 10, Elapsed: 10 * time.Second, Duration: time.Minute}
	if got, want := d.ProgressLine(), "sent 10  1 rec/s  throttled 0  failed 0  ETA 50s"; got != want {
		t.Errorf("progress %q, want %q", got, want)
	}
}

func TestProgressCallback(t *testing.T) {
	var mu sync.Mutex
	var calls int
	f := &fakeKinesis{}
	cfg := testConfig(0)
	cfg.Duration, cfg.Rate, cfg.Linger, cfg.ProgressEvery = 300*time.Millisecond, 100, 10*time.Millisecond, 20*time.Millisecond
	cfg.Progress = func(Stats) { mu.Lock(); calls++; mu.Unlock() }
	if _, err := Run(context.Background(), f, indexGen(t), cfg); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls == 0 {
		t.Error("Progress was never called during a 300ms run with a 20ms interval")
	}
}
