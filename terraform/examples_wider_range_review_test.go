package terraform

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// parallelization_factor's description (modules/function) warns that above 1 an SQS on-failure record's range also
// spans other batches' records, which pipelinectl redrive keeps unredriven unless told -allow-wider-range, and says to
// prefer on_failure_destination = "s3". examples/enhanced-fan-out sets parallelization_factor = 2 with the default
// SQS destination and says nothing of it: whoever copies it finds, at the first redrive, every message KEPT ("range
// wider than the batch"). An example that sets a factor above 1 must use the S3 destination.
func TestExamplesWithParallelizationUseTheS3Destination(t *testing.T) {
	files, err := filepath.Glob("examples/*/main.tf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	factor := regexp.MustCompile(`(?m)^\s*parallelization_factor\s*=\s*(\d+)`)
	s3 := regexp.MustCompile(`(?m)^\s*on_failure_destination\s*=\s*"s3"`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := factor.FindSubmatch(src)
		if m == nil {
			continue
		}
		if n, _ := strconv.Atoi(string(m[1])); n > 1 && !s3.Match(src) {
			t.Errorf("%s: parallelization_factor = %d with the SQS on-failure destination, whose records redrive keeps unless -allow-wider-range", f, n)
		}
	}
}
