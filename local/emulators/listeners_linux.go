package emulators

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// withDescendants adds every descendant of pids, found through the parent IDs in /proc/<pid>/stat.
func withDescendants(pids []int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// The command name in parentheses may hold spaces: count fields after the last ')'.
		i := strings.LastIndexByte(string(stat), ')')
		f := strings.Fields(string(stat[i+1:])) // state ppid ...
		if i < 0 || len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	seen := map[int]bool{}
	var out []int
	for queue := pids; len(queue) > 0; queue = queue[1:] {
		if p := queue[0]; !seen[p] {
			seen[p] = true
			out = append(out, p)
			queue = append(queue, children[p]...)
		}
	}
	return out, nil
}

// listeners matches the processes' socket descriptors (/proc/<pid>/fd) with the listening sockets of
// /proc/net/tcp and tcp6, by inode.
func listeners(pids []int) ([]Listener, error) {
	listening := map[string]netip.AddrPort{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if err := readTCPTable(table, listening); err != nil {
			return nil, err
		}
	}
	var out []Listener
	for _, pid := range pids {
		dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // the process ended meanwhile
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err != nil {
				continue
			}
			inode, ok := strings.CutPrefix(link, "socket:[")
			if addr, listens := listening[strings.TrimSuffix(inode, "]")]; ok && listens {
				out = append(out, Listener{PID: pid, Addr: addr})
			}
		}
	}
	return out, nil
}

// readTCPTable adds the sockets in state LISTEN (0A) of a /proc/net/tcp[6] table, by inode.
func readTCPTable(path string, into map[string]netip.AddrPort) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan() // header
	for s.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
		f := strings.Fields(s.Text())
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		addr, err := parseProcAddr(f[1])
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		into[f[9]] = addr
	}
	return s.Err()
}

// parseProcAddr decodes "0100007F:1F90": the address in hex as the kernel stores it (each 32-bit word in host
// byte order, little-endian here), then the port in hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(hexAddr)
	port, perr := strconv.ParseUint(hexPort, 16, 16)
	if !ok || err != nil || perr != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	for w := 0; w < len(raw); w += 4 {
		raw[w], raw[w+1], raw[w+2], raw[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
