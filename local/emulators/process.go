package emulators

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one child started in its own session, with stdout and stderr appended to a log file.
//
// A session of its own makes the child the leader of a new process group, detached from the caller's terminal (a
// Ctrl-C reaches the caller, which then stops its children in order).
type process struct {
	name     string
	logPath  string
	logStart int64 // where this process's output starts in the log (a retry appends to the same file)
	cmd      *exec.Cmd
	log      *os.File
	done     chan struct{} // closed once the child has been reaped
	waitErr  error         // the child's exit status, valid after done is closed
	stop     func()
}

// startProcess starts argv with exactly env (nothing is inherited) in dir, logging to logPath.
func startProcess(name, logPath, dir string, env []string, argv ...string) (*process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", name, err)
	}
	start := logSize(logPath)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	// An *os.File is handed to the child as is: no copying goroutine, so Wait never blocks on a descendant
	// that still holds the file open.
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, argv[0], err)
	}
	p := &process{name: name, logPath: logPath, logStart: start, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	p.stop = sync.OnceFunc(p.kill)
	return p, nil
}

// exited reports whether the child has ended (only the direct child: see stop for its descendants).
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stopGrace is how long a child may take to stop after SIGTERM: the RIE kills its bootstrap then.
const stopGrace = 3 * time.Second

// kill stops the child and what it started. The child leads a session and so a process group of its own; the RIE
// runs the bootstrap in yet another group and kills it on SIGTERM. So: SIGTERM to the child's group, a grace
// period, then SIGKILL to whatever is left of the group. Process groups work alike on Linux and macOS; nothing
// scans /proc. (A bootstrap whose RIE died without killing it loses its Runtime API and exits by itself.)
func (p *process) kill() {
	group := -p.cmd.Process.Pid
	_ = syscall.Kill(group, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(group, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
	p.log.Close()
}

// waitReady polls ready until it succeeds, the child exits, or timeout passes. Errors carry the log tail.
func (p *process) waitReady(ctx context.Context, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if p.exited() {
			tail := p.tail(4096)
			err := fmt.Errorf("%s exited during start-up (%v); log %s:\n%s", p.name, p.waitErr, p.logPath, tail)
			if addrInUse(tail) {
				err = fmt.Errorf("%w: %w", errAddrInUse, err)
			}
			return err
		}
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		last = ready(attempt)
		cancelAttempt()
		if last == nil {
			return nil
		}
		// kinesis-mock logs a failed bind and keeps running without listening: without this it would only time
		// out, and the caller could not retry with other ports.
		if tail := p.tail(4096); addrInUse(tail) {
			return fmt.Errorf("%w: %s could not bind its port; log %s:\n%s", errAddrInUse, p.name, p.logPath, tail)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v (last check: %v); log %s:\n%s", p.name, timeout, last, p.logPath, p.tail(4096))
		case <-p.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tail returns at most the last n bytes of what this process logged, starting at a line boundary where possible.
func (p *process) tail(n int64) string {
	return string(readTail(p.logPath, p.logStart, n))
}

// readTail reads the log from offset to its end, keeping at most the last n bytes.
func readTail(path string, offset, n int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	start := max(offset, st.Size()-n)
	b, _ := io.ReadAll(io.NewSectionReader(f, start, st.Size()-start))
	if start > offset {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	return b
}

// logSize is the current length of a log file, where the next invocation's output will start.
func logSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1 a moment ago. Another process can take
// one before the child binds it; start-up then fails with "address in use" and is retried with new ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// errAddrInUse marks a start-up failure caused by a port taken between freePorts and the child's bind.
var errAddrInUse = errors.New("address in use")

// startWithPorts starts a child on fresh ports, retrying a few times when a port was taken meanwhile.
func startWithPorts(n int, start func(ports []int) error) error {
	var err error
	for range 3 {
		var ports []int
		if ports, err = freePorts(n); err != nil {
			return err
		}
		if err = start(ports); !errors.Is(err, errAddrInUse) {
			return err
		}
	}
	return err
}

// addrInUse tells from the log tail whether a child failed because its port was taken.
func addrInUse(log string) bool {
	return strings.Contains(log, "EADDRINUSE") || strings.Contains(log, "address already in use")
}

// baseEnv is the environment every child starts from: enough to run, nothing that could point it at real AWS
// (AWS_PROFILE, AWS_ENDPOINT_URL, ... from the caller's shell are deliberately not inherited).
func baseEnv() []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
