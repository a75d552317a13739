package emulators

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
)

// withDescendants adds every descendant of pids, found with pgrep -P (macOS has no /proc).
func withDescendants(pids []int) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for queue := pids; len(queue) > 0; queue = queue[1:] {
		p := queue[0]
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
		b, err := exec.Command("pgrep", "-P", strconv.Itoa(p)).Output()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: no child
			return nil, fmt.Errorf("pgrep -P %d: %w", p, err)
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				queue = append(queue, c)
			}
		}
	}
	return out, nil
}

// listeners asks lsof for the processes' listening TCP sockets (-F: one field per line, p<pid> then n<address>).
func listeners(pids []int) ([]Listener, error) {
	list := make([]string, len(pids))
	for i, p := range pids {
		list[i] = strconv.Itoa(p)
	}
	b, err := exec.Command("lsof", "-nP", "-a", "-iTCP", "-sTCP:LISTEN", "-p", strings.Join(list, ","), "-F", "pn").Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: nothing found
		return nil, fmt.Errorf("lsof: %w", err)
	}
	var out []Listener
	pid := 0
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, "p"):
			pid, _ = strconv.Atoi(line[1:])
		case strings.HasPrefix(line, "n"):
			name := strings.Replace(line[1:], "*:", "0.0.0.0:", 1) // lsof writes the wildcard as *
			addr, err := netip.ParseAddrPort(name)
			if err != nil {
				return nil, fmt.Errorf("lsof: address %q: %w", name, err)
			}
			out = append(out, Listener{PID: pid, Addr: addr})
		}
	}
	return out, nil
}
