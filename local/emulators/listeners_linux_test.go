package emulators

import (
	"net/netip"
	"testing"
)

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000001000000:0050": "[::1]:80",
		"00000000000000000000000000000000:1F90": "[::]:8080",
		"0000000000000000FFFF00000100007F:0016": "[::ffff:127.0.0.1]:22",
	} {
		got, err := parseProcAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0100007F", "zz00007F:1F90", "0100007F:1F90000", "01007F:1F90"} {
		if got, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q) = %v, want an error", bad, got)
		}
	}
	for addr, loopback := range map[string]bool{"127.0.0.1:1": true, "127.8.0.1:1": true, "[::1]:1": true,
		"[::ffff:127.0.0.1]:1": true, "0.0.0.0:1": false, "[::]:1": false, "10.0.0.2:1": false} {
		if got := (Listener{Addr: netip.MustParseAddrPort(addr)}).Loopback(); got != loopback {
			t.Errorf("%s: Loopback() = %v", addr, got)
		}
	}
}
