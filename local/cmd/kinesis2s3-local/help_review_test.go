package main

import (
	"bytes"
	"strings"
	"testing"
)

// make run ARGS=-h is how a user learns the flags. -window uses -1 as "not given", and the flag package prints a
// non-zero default, so the help read "(default: maximum_batching_window_in_seconds from tfvars, else 5s)
// (default -1ns)": a second, negative default beside the real one.
func TestLocalHelpShowsNoSentinelDefault(t *testing.T) {
	var out bytes.Buffer
	fs := localFlagSet(&out, &localFlags{})
	fs.PrintDefaults()
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "(default -") {
			t.Errorf("make run ARGS=-h shows a negative default: %q", strings.TrimSpace(line))
		}
	}
}
