package emulators

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// processCPU asks ps for the process's cumulative CPU time ([[dd-]hh:]mm:ss.cc); macOS has no /proc.
func processCPU(pid int) (time.Duration, error) {
	out, err := exec.Command("ps", "-o", "time=", "-p", strconv.Itoa(pid)).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return 0, nil // exited
	}
	if err != nil {
		return 0, fmt.Errorf("ps -p %d: %w", pid, err)
	}
	s := strings.TrimSpace(string(out))
	var days int64
	if d, rest, ok := strings.Cut(s, "-"); ok {
		days, _ = strconv.ParseInt(d, 10, 64)
		s = rest
	}
	parts := strings.Split(s, ":")
	secs, err := strconv.ParseFloat(parts[len(parts)-1], 64)
	if err != nil {
		return 0, fmt.Errorf("ps -p %d: time %q", pid, out)
	}
	total := time.Duration(secs*float64(time.Second)) + time.Duration(days)*24*time.Hour
	for i, unit := 0, time.Minute; i < len(parts)-1; i, unit = i+1, unit*60 {
		n, err := strconv.ParseInt(parts[len(parts)-2-i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("ps -p %d: time %q", pid, out)
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}
