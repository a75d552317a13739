package emulators

import (
	"maps"
	"os"
	"slices"
	"testing"
)

// StartT starts a Stack for a test, in the style of Terratest: it fails the test if the stack cannot start,
// logs the start-up times, and registers a cleanup that writes the emulators' log tails to the test log when
// the test failed, then closes the stack. Logs go to a directory of the test's unless opts.LogDir is set.
// In -short mode it skips the test: -short means no processes and no network.
func StartT(t testing.TB, opts Options) *Stack {
	t.Helper()
	SkipIfShort(t)
	if opts.LogDir == "" {
		opts.LogDir = t.TempDir()
	}
	s, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("emulators: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			files := s.LogFiles()
			for _, name := range slices.Sorted(maps.Keys(files)) {
				DumpLogs(t, files[name])
			}
		}
		s.Close()
	})
	t.Logf("emulators: started in %v (kinesis %q, fauxqs %q, logs %s)", s.StartupTimes, s.KinesisEndpoint, s.AWSEndpoint, s.LogDir)
	return s
}

// StartFunctionT starts a Function for a test like StartT: it fails the test if the function cannot start and,
// when the test failed, writes each instance's log tail to the test log before closing it. It skips the test in
// -short mode.
func StartFunctionT(t testing.TB, opts FunctionOptions) *Function {
	t.Helper()
	SkipIfShort(t)
	if opts.LogDir == "" {
		opts.LogDir = t.TempDir()
	}
	f, err := StartFunction(t.Context(), opts)
	if err != nil {
		t.Fatalf("emulators: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			DumpLogs(t, f.LogFiles()...)
		}
		f.Close()
	})
	return f
}

// SkipIfShort skips a test that starts processes or opens sockets when go test runs with -short, the project's
// tier of pure tests (make unit).
func SkipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test starts processes or uses the network")
	}
}

// dumpLogBytes is how much of each log a failed test shows.
const dumpLogBytes = 8 << 10

// DumpLogs writes the end of each log file (dumpLogBytes) to the test log, for a failed test: the emulators'
// (Stack.LogFiles) or a function's (Function.LogFiles).
func DumpLogs(t testing.TB, paths ...string) {
	t.Helper()
	for _, path := range paths {
		if _, err := os.Stat(path); err != nil {
			t.Logf("log %s: %v", path, err)
			continue
		}
		t.Logf("--- last %d KiB of %s ---\n%s", dumpLogBytes>>10, path, readTail(path, 0, dumpLogBytes))
	}
}
