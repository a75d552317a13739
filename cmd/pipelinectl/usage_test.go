package main

import (
	"bytes"
	"strings"
	"testing"
)

// pipelinectl -h said redrive reprocesses what the mapping gave up on "then delete it"; with -redriven-objects tag
// an S3 object is tagged and left, which an operator choosing that mode (to keep the objects) must be able to read.
func TestUsageSaysRedriveTagsWithRedrivenObjectsTag(t *testing.T) {
	var out bytes.Buffer
	usage(&out)
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "redrive" {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("pipelinectl -h lists no redrive command:\n%s", out.String())
	}
	if !strings.Contains(line, "-redriven-objects "+objectsTag) {
		t.Errorf("pipelinectl -h: redrive's summary does not say what -redriven-objects %s does instead of deleting: %q", objectsTag, line)
	}
}
