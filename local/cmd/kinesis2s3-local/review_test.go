package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// Review (rev10): the function runs under the RIE, whose working directory is the instance's log directory
// (emulators.StartFunction starts each RIE there, and the RIE runs its bootstrap in its own working directory). A
// relative schema_file — terraform.tfvars.example's own "schemas/order.schema.json", read through make run's
// default terraform/terraform.tfvars, or --schema-file given relative to the repository — reaches the function as
// a relative SCHEMA, which the function then looks for under the log directory: every cold start fails and every
// record ends in the on-failure destination. The path the function gets must name the file from any directory.
func TestSchemaFileReachesTheFunctionFromItsOwnWorkingDirectory(t *testing.T) {
	schema := []byte(`{"type":"object"}`)
	for name, args := range map[string][]string{
		"schema_file in terraform/terraform.tfvars": nil,
		"--schema-file relative to the repository":  {"--schema-file", "terraform/schemas/order.schema.json"},
	} {
		t.Run(name, func(t *testing.T) {
			repo := t.TempDir()
			t.Chdir(repo) // make run runs from the repository root
			if err := os.MkdirAll(filepath.Join("terraform", "schemas"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("terraform", "schemas", "order.schema.json"), schema, 0o600); err != nil {
				t.Fatal(err)
			}
			tfvars := `output_mode = "batch"` + "\n"
			if args == nil {
				tfvars += `schema_file = "schemas/order.schema.json"` + "\n" // as in terraform.tfvars.example
			}
			if err := os.WriteFile(defaultTFVars, []byte(tfvars), 0o600); err != nil {
				t.Fatal(err)
			}
			var f localFlags
			fs := localFlagSet(io.Discard, &f)
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			s, _, err := localSettings(&f, fs)
			if err != nil {
				t.Fatal(err)
			}
			path := s.HandlerEnv(s.Name)[config.EnvSchema]
			// Where the bootstrap runs: a directory of its own (the RIE's log directory).
			t.Chdir(t.TempDir())
			if _, err := os.ReadFile(path); err != nil {
				t.Errorf("SCHEMA=%q: the function, running in another directory, cannot read it: %v", path, err)
			}
		})
	}
}

// Review (rev10): make run is often ended by closing its terminal (or losing the SSH session), which sends SIGHUP.
// main stops the pipeline on SIGINT and SIGTERM only (signal.NotifyContext in main), so SIGHUP kills it at once,
// without its deferred Close calls; and because every emulator and RIE runs in a session of its own (Setsid,
// local/emulators/process.go), none of them gets the hang-up either. kinesalite, fauxqs and every RIE are left
// running, holding their ports, until someone finds and kills them. (The same happens when the program is
// SIGKILLed, or when a go test binary that started them times out.)
func TestHangUpLeavesNothingRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulators and the RIE")
	}
	if runtime.GOOS != "linux" {
		t.Skip("finds the children through /proc")
	}
	logs := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReviewHelperRunMain$", "-test.v")
	cmd.Env = append(os.Environ(), "REV10_MAIN_ARGS=--records 0 --logs "+logs)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running, read := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-read
		_ = cmd.Wait()
		for _, pid := range childrenOf(logs) { // whatever is left: the session each one leads
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	go func() {
		defer close(read)
		s := bufio.NewScanner(out)
		once := false
		for s.Scan() {
			t.Log(s.Text())
			if strings.Contains(s.Text(), "Running.") && !once {
				once = true
				close(running)
			}
		}
	}()
	select {
	case <-running:
	case <-time.After(3 * time.Minute):
		t.Fatal("kinesis2s3-local did not start")
	}
	before := childrenOf(logs)
	if len(before) == 0 {
		t.Fatal("found none of the processes kinesis2s3-local started: the test cannot tell")
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	<-read
	_ = cmd.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for len(childrenOf(logs)) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	for _, pid := range childrenOf(logs) {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		t.Errorf("after SIGHUP, process %d is still running: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	}
}

// TestReviewHelperRunMain is kinesis2s3-local itself, run by TestHangUpLeavesNothingRunning in a process of its own.
func TestReviewHelperRunMain(t *testing.T) {
	args := os.Getenv("REV10_MAIN_ARGS")
	if args == "" {
		t.Skip("runs only as TestHangUpLeavesNothingRunning's child")
	}
	os.Args = append([]string{"kinesis2s3-local"}, strings.Fields(args)...)
	main()
}

// childrenOf lists the live processes that kinesis2s3-local started with --logs dir: the Node emulators name files
// of dir on their command lines, and each RIE runs in dir.
func childrenOf(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); err != nil || i < 0 || bytes.HasPrefix(bytes.TrimSpace(stat[i+1:]), []byte("Z")) {
			continue // gone, or a zombie waiting for its parent
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if (bytes.Contains(cmdline, []byte(dir)) || cwd == dir) && !bytes.Contains(cmdline, []byte("-test.run")) {
			pids = append(pids, pid)
		}
	}
	return pids
}
