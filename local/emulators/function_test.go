package emulators

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testFn builds testdata/testfn, a function whose event says how to end, so these tests observe what the real
// RIE reports for each outcome.
func testFn(t *testing.T) string {
	t.Helper()
	SkipIfShort(t)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	if err := run(t.Context(), ".", append(os.Environ(), "CGO_ENABLED=0"), "go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/testfn"); err != nil {
		t.Fatal(err)
	}
	return bin
}

type testFnResponse struct {
	Pid          int    `json:"pid"`
	FunctionName string `json:"functionName"`
	MemoryMB     int    `json:"memoryMB"`
	ARN          string `json:"arn"`
	DeadlineMs   int64  `json:"deadlineMs"`
	Env          string `json:"env"`
}

func invoke(t *testing.T, f *Function, event string) InvokeResult {
	t.Helper()
	res, err := f.Invoke(t.Context(), []byte(event))
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	return res
}

func succeeded(t *testing.T, res InvokeResult) testFnResponse {
	t.Helper()
	if res.FunctionError != "" || res.TimedOut {
		t.Fatalf("want success, got %+v, payload %s", res, res.Payload)
	}
	var r testFnResponse
	if err := json.Unmarshal(res.Payload, &r); err != nil {
		t.Fatalf("payload %q: %v", res.Payload, err)
	}
	return r
}

func failed(t *testing.T, res InvokeResult, status int, errType, msgPart string) {
	t.Helper()
	if res.FunctionError != FunctionErrorUnhandled || res.StatusCode != status || res.ErrorType != errType || !strings.Contains(res.ErrorMessage, msgPart) {
		t.Fatalf("want Unhandled %d %s containing %q, got FunctionError %q status %d type %q message %q",
			status, errType, msgPart, res.FunctionError, res.StatusCode, res.ErrorType, res.ErrorMessage)
	}
	if _, ok := parseErrorObject(res.Payload); !ok {
		t.Fatalf("payload of a failed invocation is not an error object: %s", res.Payload)
	}
}

// TestFunctionOutcomes walks one RIE through every way an invocation ends, checking how each is reported and
// that the instance keeps working afterwards.
func TestFunctionOutcomes(t *testing.T) {
	f := StartFunctionT(t, FunctionOptions{
		Bootstrap: testFn(t),
		Env:       map[string]string{"TESTFN_ENV": "passed through"},
		Timeout:   2 * time.Second,
		MemoryMB:  256,
		Name:      "outcomes",
	})
	t.Logf("RIE accepting connections after %v", f.StartupTime)

	cold := invoke(t, f, `{"do":"ok"}`)
	first := succeeded(t, cold)
	if first.FunctionName != "outcomes" || first.MemoryMB != 256 || first.ARN != f.ARN || first.Env != "passed through" {
		t.Errorf("function saw %+v; want name outcomes, 256 MB, ARN %s, TESTFN_ENV passed through", first, f.ARN)
	}
	if first.DeadlineMs <= 0 || first.DeadlineMs > 2000 {
		t.Errorf("deadline %d ms ahead; want within the 2 s timeout", first.DeadlineMs)
	}
	if log := string(cold.Log); !strings.Contains(log, "START RequestId") || !strings.Contains(log, "REPORT RequestId") {
		t.Errorf("invocation log lacks START/REPORT lines:\n%s", log)
	}
	t.Logf("cold invocation %v, warm invocation %v", cold.Duration, invoke(t, f, `{"do":"ok"}`).Duration)

	failed(t, invoke(t, f, `{"do":"error"}`), 200, "errorString", "testfn: asked to fail")
	if again := succeeded(t, invoke(t, f, `{"do":"ok"}`)); again.Pid != first.Pid {
		t.Errorf("a returned error restarted the runtime (pid %d, then %d)", first.Pid, again.Pid)
	}

	failed(t, invoke(t, f, `{"do":"panic"}`), 502, "string", "testfn: asked to panic")
	afterPanic := succeeded(t, invoke(t, f, `{"do":"ok"}`))
	if afterPanic.Pid == first.Pid {
		t.Errorf("runtime not restarted after a panic (pid %d)", afterPanic.Pid)
	}

	failed(t, invoke(t, f, `{"do":"exit"}`), 502, "Runtime.ExitError", "exit status 3")
	succeeded(t, invoke(t, f, `{"do":"ok"}`))

	timedOut := invoke(t, f, `{"do":"sleep","sleepMs":4000}`)
	if !timedOut.TimedOut {
		t.Fatalf("want a timeout, got %+v, payload %s", timedOut, timedOut.Payload)
	}
	failed(t, timedOut, 200, "Sandbox.Timedout", "Task timed out after 2.00 seconds")
	afterTimeout := succeeded(t, invoke(t, f, `{"do":"ok"}`))
	if afterTimeout.Pid == afterPanic.Pid {
		t.Errorf("runtime not restarted after a timeout (pid %d)", afterTimeout.Pid)
	}

	// The invocation goes to the handler as is: a non-JSON event fails in aws-lambda-go, not in the harness.
	failed(t, invoke(t, f, `not json`), 200, "SyntaxError", "invalid character")

	// A bootstrap killed mid-invocation fails it; one frozen mid-invocation runs into the timeout. Either way the
	// next invocation gets a new runtime.
	if _, _, ok, err := f.KillInvocation(0); ok || err != nil {
		t.Fatalf("KillInvocation with nothing running: ok %v, err %v", ok, err)
	}
	runtime := afterTimeout.Pid
	for _, c := range []struct {
		name    string
		signal  func(time.Duration) (int, int, bool, error)
		status  int
		errType string
		msg     string
	}{
		{"kill", f.KillInvocation, 502, "Runtime.ExitError", "signal: killed"},
		{"freeze", f.FreezeInvocation, 200, "Sandbox.Timedout", "Task timed out after 2.00 seconds"},
	} {
		type outcome struct {
			res InvokeResult
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := f.Invoke(t.Context(), []byte(`{"do":"sleep","sleepMs":1500}`))
			done <- outcome{res, err}
		}()
		var pid int
		waitUntil(t, "the invocation to run for 200ms", func() bool {
			_, p, ok, err := c.signal(200 * time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			pid = p
			return ok
		})
		if pid != runtime {
			t.Errorf("%s: signalled pid %d, but the runtime is %d", c.name, pid, runtime)
		}
		o := <-done
		if o.err != nil {
			t.Fatal(o.err)
		}
		failed(t, o.res, c.status, c.errType, c.msg)
		again := succeeded(t, invoke(t, f, `{"do":"ok"}`))
		if again.Pid == pid {
			t.Errorf("%s: runtime not restarted (pid %d)", c.name, pid)
		}
		runtime = again.Pid
	}
}

// waitUntil polls cond every 20ms for up to 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestFunctionInitFailure: a bootstrap that exits before reaching the Runtime API gives a 502 without a body;
// the result still reads as a function error and its log shows why.
func TestFunctionInitFailure(t *testing.T) {
	f := StartFunctionT(t, FunctionOptions{
		Bootstrap: testFn(t),
		Env:       map[string]string{"TESTFN_INIT_ERROR": "config: BUCKET_NAME is required"},
		Timeout:   5 * time.Second,
	})
	for range 2 { // every invocation retries the init, as Lambda does
		res := invoke(t, f, `{"do":"ok"}`)
		failed(t, res, 502, "Runtime.Unknown", "without an error object")
		if !strings.Contains(string(res.Log), "config: BUCKET_NAME is required") {
			t.Errorf("invocation log lacks the bootstrap's message:\n%s", res.Log)
		}
	}
}

// TestFunctionInstances: more concurrent invocations than instances all succeed. Each RIE gets one at a time
// (a second concurrent invocation would crash it), and both instances are used.
func TestFunctionInstances(t *testing.T) {
	f := StartFunctionT(t, FunctionOptions{Bootstrap: testFn(t), Instances: 2, Timeout: 10 * time.Second})
	const n = 6
	results := make([]InvokeResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = f.Invoke(t.Context(), []byte(`{"do":"sleep","sleepMs":300}`)) })
	}
	wg.Wait()
	pids := map[int]int{} // instance -> bootstrap pid
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("invocation %d: %v", i, errs[i])
		}
		r := succeeded(t, results[i])
		if pid, seen := pids[results[i].Instance]; seen && pid != r.Pid {
			t.Errorf("instance %d ran two bootstraps (%d, %d) without a failure", results[i].Instance, pid, r.Pid)
		}
		pids[results[i].Instance] = r.Pid
	}
	if len(pids) != 2 {
		t.Errorf("invocations ran on instances %v; want both of 2", pids)
	}
}

// TestInvokeContextEndsFirst: the caller gets ctx.Err() at once, and the instance is not handed out again until
// the abandoned invocation is over.
func TestInvokeContextEndsFirst(t *testing.T) {
	f := StartFunctionT(t, FunctionOptions{Bootstrap: testFn(t), Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := f.Invoke(ctx, []byte(`{"do":"sleep","sleepMs":1500}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want context.DeadlineExceeded, got %v", err)
	}
	succeeded(t, invoke(t, f, `{"do":"ok"}`)) // would crash the RIE if sent while the sleep still ran
}

// TestFunctionCloseLeavesNothing: Close stops the RIE and the bootstrap it started in a process group of its own.
func TestFunctionCloseLeavesNothing(t *testing.T) {
	SkipIfShort(t)
	f, err := StartFunction(t.Context(), FunctionOptions{Bootstrap: testFn(t), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pid := succeeded(t, invoke(t, f, `{"do":"ok"}`)).Pid
	rie := f.instances[0].proc.cmd.Process.Pid
	logDir := f.logDir
	// An invocation in flight when Close comes must end with an error, not hang.
	inflight := make(chan error, 1)
	go func() {
		_, err := f.Invoke(context.Background(), []byte(`{"do":"sleep","sleepMs":5000}`))
		inflight <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-inflight; err == nil {
		t.Error("invocation in flight during Close succeeded")
	}
	for _, p := range []int{rie, pid} {
		if alive(p) {
			t.Errorf("process %d still running after Close", p)
		}
	}
	if _, err := os.Stat(logDir); !os.IsNotExist(err) {
		t.Errorf("temporary log directory %s not removed: %v", logDir, err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Invoke(t.Context(), []byte(`{}`)); err == nil {
		t.Error("Invoke after Close succeeded")
	}
}

func TestStartFunctionRejectsBadOptions(t *testing.T) {
	SkipIfShort(t)
	for name, opts := range map[string]FunctionOptions{
		"fractional timeout": {Timeout: 1500 * time.Millisecond},
		"timeout in env":     {Env: map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "3"}},
		"max concurrency":    {Env: map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "4"}},
		"missing bootstrap":  {Bootstrap: filepath.Join(t.TempDir(), "nope")},
	} {
		if f, err := StartFunction(t.Context(), opts); err == nil {
			f.Close()
			t.Errorf("%s: StartFunction succeeded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// alive reports whether pid is a live process. A zombie counts as alive until its parent reaps it, so this waits
// a moment for that.
func alive(pid int) bool {
	for range 50 {
		if syscall.Kill(pid, 0) != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
