package schema

import (
	"math"
	"strconv"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
)

// Scalar checks for the fast path (fast.go), on the text of values the decoder has already checked against the
// JSON grammar.

// parseFloat returns the float64 nearest a number literal, or NaN when it is out of range.
func parseFloat(lit string) float64 {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// dateTime reports whether s is certainly a date-time by the library's rule (RFC 3339, "format": "date-time"): one
// jsonvalue.ReadDateTime reads. A leap second (:60), which the library checks against the offset, is left to it, and
// so are the forms it takes beyond RFC 3339 (strconv.Atoi reads "+1" as an hour).
func dateTime(s string) bool {
	_, ok := jsonvalue.ReadDateTime(s)
	return ok
}
