package process

import (
	"encoding/json"
	"time"
)

// Namespace is the CloudWatch namespace of the handler's metrics.
const Namespace = "kinesis2s3"

// EMF renders the metrics as one CloudWatch Embedded Metric Format line (without the newline). Printed to stdout
// in Lambda, CloudWatch turns it into metrics with no PutMetricData calls, dimensioned by function name. level is
// the line's "level" (config.MetricsLevel): Lambda's log-level filter drops a line without one at WARN and above.
func (m Metrics) EMF(functionName, level string, at time.Time) []byte {
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	values := []struct {
		name, unit string
		value      float64
	}{
		{"RecordsIn", "Count", float64(m.Records)},
		{"UserRecordsIn", "Count", float64(m.UserRecords)},
		{"RecordsWritten", "Count", float64(m.RecordsWritten)},
		{"RecordsQuarantined", "Count", float64(m.RecordsQuarantined)},
		{"RecordsSkipped", "Count", float64(m.RecordsSkipped)},
		{"RecordsDropped", "Count", float64(m.RecordsDropped)},
		{"EventTimesMissing", "Count", float64(m.EventTimesMissing)},
		{"RecordsFailed", "Count", float64(m.RecordsFailed)},
		{"BytesIn", "Bytes", float64(m.BytesIn)},
		{"BytesWritten", "Bytes", float64(m.BytesWritten)},
		{"ObjectsWritten", "Count", float64(m.ObjectsWritten)},
		{"MaxArrivalAge", "Milliseconds", float64(m.MaxArrivalAge.Milliseconds())},
	}
	doc := map[string]any{"FunctionName": functionName, "level": level}
	defs := make([]metric, 0, len(values))
	for _, v := range values {
		defs = append(defs, metric{v.name, v.unit})
		doc[v.name] = v.value
	}
	doc["_aws"] = map[string]any{
		"Timestamp": at.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{{"FunctionName"}},
			"Metrics":    defs,
		}},
	}
	line, _ := json.Marshal(doc) // maps of strings and numbers: cannot fail
	return line
}
