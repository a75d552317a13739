package emulators

import (
	"fmt"
	"net/netip"
)

// Listener is a TCP socket in the LISTEN state, and the process that holds it.
type Listener struct {
	PID  int
	Addr netip.AddrPort
}

func (l Listener) String() string { return fmt.Sprintf("pid %d listens on %s", l.PID, l.Addr) }

// Loopback reports whether only this machine can connect: 127.0.0.0/8 or ::1 (also as ::ffff:127.x.y.z).
func (l Listener) Loopback() bool { return l.Addr.Addr().Unmap().IsLoopback() }

// Listeners returns the listening TCP sockets of the given processes and of all their descendants, for tests that
// check what the local stack exposes. It reads /proc on Linux and asks lsof on macOS.
func Listeners(pids []int) ([]Listener, error) {
	all, err := withDescendants(pids)
	if err != nil {
		return nil, err
	}
	return listeners(all)
}
