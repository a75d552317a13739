package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// lambdaLevels are the application log levels of Lambda's JSON logging, least severe first: the Terraform function
// module's log_level takes each of them (as AWS_LAMBDA_LOG_LEVEL for the handler).
var lambdaLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// keptByLambda is Lambda's application log-level filter for a runtime it does not format logs for (provided.al2023):
// a JSON line is kept when its "level" is at least the configured one, and a line whose "level" is missing or
// invalid counts as INFO (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
func keptByLambda(line []byte, configured string) bool {
	rank := func(level string) int {
		for i, l := range lambdaLevels {
			if strings.EqualFold(l, level) {
				return i
			}
		}
		return -1
	}
	var doc map[string]any
	if json.Unmarshal(line, &doc) != nil {
		return rank("INFO") >= rank(configured)
	}
	level, _ := doc["level"].(string)
	r := rank(level)
	if r < 0 {
		r = rank("INFO")
	}
	return r >= rank(configured)
}

// The metrics line is the only source of the handler's metrics: the records-quarantined alarm and the dashboard's
// handler widgets read nothing else. With log_level = "WARN" (which terraform/README.md suggests to log less), ERROR
// or FATAL, Lambda's filter must still let it through to CloudWatch Logs, or every handler metric stops and the
// alarm, which treats missing data as not breaching, can never fire.
func TestMetricsLineSurvivesTheApplicationLogLevel(t *testing.T) {
	ev, _ := testEvent(t, `{"a":1}`, `not json`)
	for _, level := range lambdaLevels {
		t.Run(level, func(t *testing.T) {
			t.Setenv(config.EnvLogLevel, level)
			var metrics bytes.Buffer
			h := newHandler(t, config.ModeRecord, &bucket{objects: map[string][]byte{}}, &metrics)
			if _, err := h.Invoke(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			line := bytes.TrimSpace(metrics.Bytes())
			if !bytes.Contains(line, []byte(`"RecordsQuarantined"`)) {
				t.Fatalf("no metrics line: %q", line)
			}
			if !keptByLambda(line, level) {
				t.Errorf("AWS_LAMBDA_LOG_LEVEL=%s: Lambda drops the metrics line (no \"level\" at least %s): %s", level, level, line)
			}
		})
	}
}
