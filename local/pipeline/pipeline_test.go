package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
)

// TestPipeline runs the whole pipeline once: records put with PutRecords come out in the bucket, a poison record
// in quarantine, and an S3 outage through the fault proxy only delays them; a paused
// pipeline reads nothing until resumed.
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts emulators and the function")
	}
	s := DefaultSettings()
	s.Name = "lp-test"
	s.OutputMode = "batch"
	s.ESM.MaximumBatchingWindow = time.Second
	s.ESM.PollInterval = 100 * time.Millisecond
	p, err := Start(t.Context(), Options{Settings: s, S3Faults: true, Paused: true, StackOptions: emulators.Options{LogDir: t.TempDir()}, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			for _, f := range p.Function.LogFiles() {
				t.Logf("function log %s", f)
			}
		}
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()

	since := time.Now()
	var want []ledger.Expect
	put := func(data string) {
		t.Helper()
		out, err := p.Kinesis.PutRecords(t.Context(), &kinesis.PutRecordsInput{StreamName: aws.String(p.StreamName),
			Records: []types.PutRecordsRequestEntry{{Data: []byte(data), PartitionKey: aws.String(data)}}})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("PutRecords: %v %+v", err, out)
		}
		e := ledger.Expect{ShardID: aws.ToString(out.Records[0].ShardId), SequenceNumber: aws.ToString(out.Records[0].SequenceNumber),
			SubIndex: -1, Data: []byte(data)}
		if data == "poison" {
			e.Quarantine, e.Reason = true, "invalid JSON"
		}
		want = append(want, e)
	}
	for i := range 10 {
		put(fmt.Sprintf(`{"n": %d}`, i))
	}
	put("poison")
	// Paused: the records wait in the stream.
	time.Sleep(1500 * time.Millisecond)
	if st := p.Mapping.Stats(); st.RecordsRead != 0 {
		t.Fatalf("paused mapping read %d records", st.RecordsRead)
	}
	p.Resume()
	p.Faults.FailObjectPuts(nil)
	for i := 10; i < 20; i++ {
		put(fmt.Sprintf(`{"n": %d}`, i))
	}
	// The outage lasts until an invocation has failed for it (its uploads failed every attempt), not a fixed two
	// seconds, which a loaded machine can spend before the first invocation.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for st := p.Mapping.Stats(); st.PartialFailures+st.FunctionErrors == 0; st = p.Mapping.Stats() {
		if ctx.Err() != nil {
			t.Fatalf("no invocation failed during the S3 outage: mapping %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Faults.Reset()

	injected := func() int { return p.Faults.Count(func(e faultproxy.Entry) bool { return e.Injected }) }
	c, err := ledger.NewChecker(p.S3, p.Bucket, s.Layout())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Since = since
	var rep ledger.Report
	for ctx.Err() == nil {
		if rep, err = c.Check(ctx, want); err != nil {
			t.Fatal(err)
		}
		if rep.Complete() {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if injected() == 0 {
		t.Error("the fault proxy failed no upload")
	}
	t.Logf("written %d, quarantined %d, uploads failed %d, mapping %+v", rep.Written, rep.Quarantined, injected(), p.Mapping.Stats())

	t.Run("listens on loopback only", func(t *testing.T) { listensOnLoopbackOnly(t, p) })
}

// listensOnLoopbackOnly lists the listening sockets of every process the pipeline started — the emulators, the
// RIEs and their bootstraps (invoked by now), and this process, which runs the fault proxy — and fails on any
// address another machine could reach.
func listensOnLoopbackOnly(t *testing.T, p *Pipeline) {
	t.Logf("emulators: %v (the Kinesis emulator is %s)", p.Stack.ProcessIDs(), p.Stack.KinesisEngine)
	pids := append(append(p.Stack.PIDs(), p.Function.PIDs()...), os.Getpid())
	ls, err := emulators.Listeners(pids)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]bool{}
	for _, l := range ls {
		t.Log(l)
		ports[strconv.Itoa(int(l.Addr.Port()))] = true
		if !l.Loopback() {
			t.Errorf("%s: reachable from other machines", l)
		}
	}
	// Listing nothing would prove nothing: the endpoints the pipeline uses must be among the sockets found.
	for _, endpoint := range []string{p.Stack.KinesisEndpoint, p.Stack.AWSEndpoint, p.Faults.URL} {
		u, err := url.Parse(endpoint)
		if err != nil || !ports[u.Port()] {
			t.Errorf("endpoint %s is not among the listening sockets found", endpoint)
		}
	}
}
