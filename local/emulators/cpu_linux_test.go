package emulators

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestCPUTime: this process's CPU time, read from /proc, grows as getrusage says it does.
func TestCPUTime(t *testing.T) {
	rusage := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	before, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ruBefore := rusage()
	for deadline := time.Now().Add(10 * time.Second); rusage()-ruBefore < 300*time.Millisecond && time.Now().Before(deadline); {
	}
	ruUsed := rusage() - ruBefore
	after, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// /proc counts in ticks of 10ms, and the process's other threads keep running.
	if used := after - before; used < ruUsed-50*time.Millisecond || used > ruUsed+100*time.Millisecond {
		t.Errorf("CPUTime grew by %v while getrusage says %v", used, ruUsed)
	}
	if d, err := CPUTime(1 << 30); err != nil || d != 0 {
		t.Errorf("CPUTime of a process that does not exist = %v, %v; want 0, nil", d, err)
	}
}
