package emulators

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// FunctionOptions configures StartFunction.
type FunctionOptions struct {
	// Bootstrap is the function binary (a Go program built with -tags lambda.norpc). Default: $KINESIS2S3_BOOTSTRAP,
	// else ./function/cmd/bootstrap built into build/local/bootstrap.
	Bootstrap string
	// Env is the function's environment (its configuration plus Stack.Env()). Nothing else is inherited from the
	// caller. The RIE passes it on to the bootstrap; it needs no _HANDLER. The Lambda variables below are set
	// from their own fields and must not appear here.
	Env map[string]string
	// Instances is how many execution environments run side by side, each an RIE with its own bootstrap
	// handling one invocation at a time, like Lambda's concurrency; default 1.
	Instances int
	// Timeout is the function timeout (AWS_LAMBDA_FUNCTION_TIMEOUT), whole seconds as in Lambda; default 60s.
	Timeout time.Duration
	// MemoryMB is the memory size the function sees (AWS_LAMBDA_FUNCTION_MEMORY_SIZE); default 1024. The RIE
	// enforces no limit.
	MemoryMB int
	// Name is the function name (AWS_LAMBDA_FUNCTION_NAME); default kinesis2s3-local.
	Name string
	// LogDir receives rie-<n>.log per instance (RIE lines and the function's stdout and stderr). Default: a new
	// temporary directory, removed by Close.
	LogDir string
	// StartTimeout bounds each RIE's start-up; default 30s.
	StartTimeout time.Duration
}

// reservedEnv are the variables StartFunction sets from FunctionOptions fields.
var reservedEnv = []string{"AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME"}

// Function is a running function: Instances RIE processes, each with its own bootstrap.
type Function struct {
	// Name is the function name the bootstrap sees (AWS_LAMBDA_FUNCTION_NAME).
	Name string
	// ARN is the function ARN the RIE hands to the bootstrap (always us-east-1, account 012345678912: the RIE
	// hard-codes both).
	ARN string
	// StartupTime is how long the RIEs took to accept connections. The bootstrap itself starts on the first
	// invocation (a cold start), as in Lambda.
	StartupTime time.Duration

	opts      FunctionOptions
	bootstrap string
	rie       string
	logDir    string
	removeDir bool
	env       []string
	instances []*instance
	idle      chan *instance
	client    *http.Client

	mu        sync.Mutex // guards closed and every instance.proc against Close
	closed    bool
	closeOnce sync.Once
}

// instance is one RIE. Only the goroutine that took it from Function.idle touches it, except busySince.
type instance struct {
	n    int
	proc *process
	url  string // the invocation endpoint
	log  string
	// busySince is when the invocation in flight started; zero when idle. Guarded by Function.mu.
	busySince time.Time
}

// withDefaults fills in the defaults and rejects what the RIE cannot run.
func (opts *FunctionOptions) withDefaults() error {
	if opts.Instances <= 0 {
		opts.Instances = 1
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Timeout < time.Second || opts.Timeout%time.Second != 0 {
		return fmt.Errorf("function timeout %v: must be a whole number of seconds (the RIE reads AWS_LAMBDA_FUNCTION_TIMEOUT as an integer)", opts.Timeout)
	}
	if opts.MemoryMB == 0 {
		opts.MemoryMB = 1024
	}
	if opts.MemoryMB < 0 {
		return fmt.Errorf("function memory %d MB: must be positive", opts.MemoryMB)
	}
	if opts.Name == "" {
		opts.Name = "kinesis2s3-local"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	for _, k := range reservedEnv {
		if _, ok := opts.Env[k]; ok {
			return fmt.Errorf("function env: %s is set by StartFunction (use the FunctionOptions field)", k)
		}
	}
	if _, ok := opts.Env["AWS_LAMBDA_MAX_CONCURRENCY"]; ok {
		return errors.New("function env: AWS_LAMBDA_MAX_CONCURRENCY would switch the RIE to its multi-concurrency mode, which this harness does not drive; use Instances")
	}
	return nil
}

// StartFunction starts opts.Instances RIE processes for the bootstrap and waits until each accepts connections.
func StartFunction(ctx context.Context, opts FunctionOptions) (*Function, error) {
	if err := opts.withDefaults(); err != nil {
		return nil, err
	}
	rie, err := findRIE(ctx)
	if err != nil {
		return nil, err
	}
	if opts.Bootstrap == "" {
		if opts.Bootstrap, err = findBootstrap(ctx); err != nil {
			return nil, err
		}
	} else if err := executable(opts.Bootstrap); err != nil {
		return nil, fmt.Errorf("bootstrap %s: %w", opts.Bootstrap, err)
	}
	bootstrap, err := filepath.Abs(opts.Bootstrap)
	if err != nil {
		return nil, err
	}

	f := &Function{
		Name:      opts.Name,
		ARN:       "arn:aws:lambda:us-east-1:012345678912:function:" + opts.Name,
		opts:      opts,
		bootstrap: bootstrap,
		rie:       rie,
		idle:      make(chan *instance, opts.Instances),
		// The deadline of last resort for one exchange with an RIE; the RIE itself ends an invocation at the
		// function timeout.
		client: &http.Client{Timeout: opts.Timeout + 30*time.Second},
	}
	if f.logDir, f.removeDir, err = logDir(opts.LogDir, "kinesis2s3-function-"); err != nil {
		return nil, err
	}
	f.env = append(baseEnv(),
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(opts.Timeout/time.Second)),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(opts.MemoryMB),
		"AWS_LAMBDA_FUNCTION_NAME="+opts.Name,
	)
	for _, k := range slices.Sorted(maps.Keys(opts.Env)) {
		f.env = append(f.env, k+"="+opts.Env[k])
	}

	began := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, opts.Instances)
	f.instances = make([]*instance, opts.Instances)
	for i := range opts.Instances {
		f.instances[i] = &instance{n: i, log: filepath.Join(f.logDir, fmt.Sprintf("rie-%d.log", i))}
		wg.Go(func() { errs[i] = f.start(ctx, f.instances[i]) })
	}
	wg.Wait()
	f.StartupTime = time.Since(began)
	if err := errors.Join(errs...); err != nil {
		f.removeDir = false // the error points into the logs
		f.Close()
		return nil, err
	}
	for _, in := range f.instances {
		f.idle <- in
	}
	return f, nil
}

// start runs an RIE for in on fresh ports. The RIE accepts invocations on one port and serves the Runtime API
// to its bootstrap on another; their defaults would collide between instances.
func (f *Function) start(ctx context.Context, in *instance) error {
	return startWithPorts(2, func(ports []int) error {
		invokeAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
		runtimeAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
		p, err := startProcess(fmt.Sprintf("rie-%d", in.n), in.log, f.logDir, f.env, f.rie,
			"--runtime-interface-emulator-address", invokeAddr,
			"--runtime-api-address", runtimeAddr,
			f.bootstrap)
		if err != nil {
			return err
		}
		in.proc = p
		in.url = "http://" + invokeAddr + "/2015-03-31/functions/function/invocations"
		err = p.waitReady(ctx, f.opts.StartTimeout, func(ctx context.Context) error {
			// The RIE opens the Runtime API on a goroutine of its own and may serve invocations first: on a
			// loaded machine a bootstrap started by the first invocation found nothing listening there and
			// exited (Runtime.ExitError). So both ports must accept connections.
			conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", runtimeAddr)
			if err != nil {
				return err
			}
			conn.Close()
			// The RIE answers 404 on / once it listens; any HTTP answer will do.
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+invokeAddr+"/", nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err
		})
		if err != nil {
			p.stop()
		}
		return err
	})
}

// Invoke sends payload to a free instance, waiting for one if all are busy, and returns the function's result.
// It returns an error only when the function could not be invoked (closed, the RIE unreachable or answering
// outside its protocol); a function that failed or timed out is a result with FunctionError set.
//
// If ctx ends first, Invoke returns ctx.Err() at once, but the instance stays busy until the invocation it
// started is over: an RIE cannot take a second invocation while one runs (it crashes).
func (f *Function) Invoke(ctx context.Context, payload []byte) (InvokeResult, error) {
	var in *instance
	select {
	case in = <-f.idle:
	case <-ctx.Done():
		return InvokeResult{}, ctx.Err()
	}
	type outcome struct {
		res InvokeResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		f.setBusy(in, time.Now())
		res, err := f.invoke(ctx, in, payload)
		f.setBusy(in, time.Time{})
		f.idle <- in
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		return InvokeResult{}, ctx.Err()
	}
}

// invoke performs one exchange with an instance, restarting its RIE first if it has died.
func (f *Function) invoke(ctx context.Context, in *instance, payload []byte) (InvokeResult, error) {
	if err := f.ensureRunning(ctx, in); err != nil {
		return InvokeResult{}, err
	}
	offset := logSize(in.log)
	began := time.Now()
	// Deliberately not bound to ctx: abandoning the request would leave the RIE busy with an invocation nobody
	// waits for, and the next one sent to it would crash it.
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, in.url, bytes.NewReader(payload))
	if err != nil {
		return InvokeResult{}, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return InvokeResult{}, fmt.Errorf("invoke instance %d: %w; log %s:\n%s", in.n, err, in.log, in.proc.tail(2048))
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return InvokeResult{}, fmt.Errorf("invoke instance %d: read response: %w", in.n, err)
	}
	// The RIE may still answer while Close stops it (seen: 200 with an empty body once it had killed the
	// bootstrap). That is no result of the function's: the caller gets an error, as when the connection drops.
	if f.isClosed() {
		return InvokeResult{}, fmt.Errorf("invoke instance %d: function closed during the invocation", in.n)
	}
	res, err := classify(resp.StatusCode, body)
	if err != nil {
		return InvokeResult{}, fmt.Errorf("invoke instance %d: %w; log %s:\n%s", in.n, err, in.log, in.proc.tail(2048))
	}
	res.Instance = in.n
	res.Duration = time.Since(began)
	res.Log = readTail(in.log, offset, maxInvocationLog)
	return res, nil
}

// ensureRunning restarts the instance's RIE if it has exited (it should not, but a crashed RIE would otherwise
// fail every later invocation sent to this instance). It holds f.mu so that Close cannot miss the new process.
func (f *Function) ensureRunning(ctx context.Context, in *instance) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("invoke: function is closed")
	}
	if !in.proc.exited() {
		return nil
	}
	in.proc.stop()
	if err := f.start(context.WithoutCancel(ctx), in); err != nil {
		return fmt.Errorf("invoke: restart instance %d: %w", in.n, err)
	}
	return nil
}

func (f *Function) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

func (f *Function) setBusy(in *instance, since time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in.busySince = since
}

// KillInvocation kills the bootstrap of an instance whose invocation has been running for at least minAge — as
// a crash of the execution environment would, mid-invocation — and returns the instance and the bootstrap's
// process ID. ok is false when no invocation has run that long. The invocation ends with a function error
// (Runtime.ExitError); the RIE starts a new bootstrap for the next one, a cold start.
func (f *Function) KillInvocation(minAge time.Duration) (instance, pid int, ok bool, err error) {
	return f.signalInvocation(minAge, syscall.SIGKILL)
}

// FreezeInvocation stops (SIGSTOP) the bootstrap of an instance whose invocation has been running for at least
// minAge, as a hung runtime would be: nothing in the function can then prevent the invocation from running into
// its timeout, which the RIE reports (Sandbox.Timedout) before it replaces the bootstrap, as with KillInvocation.
func (f *Function) FreezeInvocation(minAge time.Duration) (instance, pid int, ok bool, err error) {
	return f.signalInvocation(minAge, syscall.SIGSTOP)
}

func (f *Function) signalInvocation(minAge time.Duration, sig syscall.Signal) (instance, pid int, ok bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock() // held while signalling: the instance cannot take another invocation meanwhile
	for _, in := range f.instances {
		if in.busySince.IsZero() || time.Since(in.busySince) < minAge || in.proc == nil || in.proc.exited() {
			continue
		}
		rie := in.proc.cmd.Process.Pid
		pids, err := withDescendants([]int{rie})
		if err != nil {
			return in.n, 0, false, fmt.Errorf("instance %d: %w", in.n, err)
		}
		for _, p := range pids {
			if p == rie {
				continue
			}
			if err := syscall.Kill(p, sig); err != nil {
				return in.n, p, false, fmt.Errorf("instance %d: signal %v to bootstrap %d: %w", in.n, sig, p, err)
			}
			return in.n, p, true, nil
		}
	}
	return 0, 0, false, nil
}

// maxInvocationLog caps InvokeResult.Log.
const maxInvocationLog = 64 << 10

// LogFiles returns each instance's log file, in instance order.
func (f *Function) LogFiles() []string {
	var files []string
	for _, in := range f.instances {
		files = append(files, in.log)
	}
	return files
}

// Close stops every RIE together with its bootstrap and removes the log directory if StartFunction created it.
// Invocations still running fail with an error. It is safe to call more than once.
func (f *Function) Close() error {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		f.closed = true
		f.mu.Unlock()
		for _, in := range f.instances {
			if in.proc != nil {
				in.proc.stop()
			}
		}
		if f.removeDir {
			os.RemoveAll(f.logDir)
		}
	})
	return nil
}

// PIDs returns the process ID of each running RIE; the bootstrap of an instance that has been invoked is its child.
func (f *Function) PIDs() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var pids []int
	for _, in := range f.instances {
		if in.proc != nil && !in.proc.exited() {
			pids = append(pids, in.proc.cmd.Process.Pid)
		}
	}
	return pids
}
