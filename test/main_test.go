package test

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain runs nothing in -short mode: every suite here starts processes (OpenTofu, emulators, the function
// under the Lambda RIE) or talks to AWS, and -short is the project's tier of pure tests (make unit).
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("test/: integration suites only; skipped in -short mode")
		os.Exit(0)
	}
	os.Exit(m.Run())
}
