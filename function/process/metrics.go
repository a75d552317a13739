package process

import (
	"encoding/json"
	"time"

	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// Metrics describes one invocation. Records are Kinesis records; user records are what they carry after KPL
// de-aggregation (one each for plain records).
//
// The In metrics count what the invocation received: a record that Lambda delivers again counts again, as it costs
// again. The outcome metrics (written, quarantined, skipped, dropped, event times missing, objects and bytes
// written) count each user record once, in the invocation that reports its outcome durable: its record comes before
// the one the response reports, or it is in the part of a large aggregate that the progress marker saved for the
// retry covers (see resume). What an invocation did for the records it leaves to Lambda's retry — objects written
// after a failed one, invalid records quarantined — the retry does again, to the same keys, and counts then. An
// object counts with the records it holds. So, summed over time, the outcome metrics are what the bucket holds.
type Metrics struct {
	Records            int           // Kinesis records in the event
	UserRecords        int           // user records of those the invocation took on: before any cut (budget, time, MAX_PARTITIONS, fail policy)
	RecordsWritten     int           // user records written to their data object
	RecordsQuarantined int           // user records written under the error prefix
	RecordsSkipped     int           // user records written nowhere: invalid with ON_INVALID_RECORD=skip, or dropped by TRANSFORM
	RecordsDropped     int           // of those, the ones TRANSFORM dropped (jq's empty)
	EventTimesMissing  int           // of the user records written, those without a usable TIME_FIELD, partitioned by arrival time instead
	RecordsFailed      int           // Kinesis records left for Lambda to retry: the reported one and all after it
	BytesIn            int64         // Kinesis record data
	BytesWritten       int64         // bodies of the objects counted
	ObjectsWritten     int           // objects written (data and quarantine), once all their user records count
	MaxArrivalAge      time.Duration // now minus the oldest approximateArrivalTimestamp
	Took               Timings       // where the invocation's time went (logged at debug level, not a metric)
}

// Timings are the phases of Process, one after the other. In batch mode the writes start during Encode, as each
// object is encoded: WriteWait is what they add after the last one.
type Timings struct {
	Decode    time.Duration // decoding, de-aggregating and shaping the records
	Encode    time.Duration // encoding the objects
	WriteWait time.Duration // waiting for the writes once every object was handed over
}

// count adds the user records of units, the records the invocation took on (those before any cut), and the outcomes
// it reports: of the user records of the units before first, the record Lambda retries from, and of the first kept
// user records of units[first], which the retry skips. policy is ON_INVALID_RECORD.
func (m *Metrics) count(units []unit, jobs []job, first, kept int, policy string) {
	for i := range units {
		m.UserRecords += len(units[i].items)
	}
	for i := range units[:first] {
		m.countUserRecords(&units[i], len(units[i].items), policy)
	}
	for _, j := range jobs {
		if j.ok && j.units[len(j.units)-1] < first { // all its records come before first: j.units are in record order
			m.countObject(j)
		}
	}
	if first == len(units) || kept <= units[first].resumed {
		return
	}
	// Record mode: the data objects of the kept user records are the unit's first ones, one per user record
	// written. Its quarantine object is not counted: the retry writes it again, with every invalid user record.
	u := &units[first]
	written := m.RecordsWritten
	m.countUserRecords(u, kept, policy)
	written = m.RecordsWritten - written
	for _, j := range u.jobs {
		if written > 0 && !jobs[j].quarantine {
			m.countObject(jobs[j])
			written--
		}
	}
}

// countUserRecords adds the outcomes of u's user records up to end, from the first one this invocation handled: those
// of an aggregate that an earlier one handled (see resume) are shaped again only so that its quarantine object is the
// same.
func (m *Metrics) countUserRecords(u *unit, end int, policy string) {
	for k := u.resumed; k < end; k++ {
		switch {
		case u.dropped(k):
			m.RecordsSkipped++
			m.RecordsDropped++
		case u.items[k].Err != nil && policy == config.InvalidQuarantine:
			m.RecordsQuarantined++
		case u.items[k].Err != nil: // skipped: under the fail policy, an invalid record stops the invocation before it
			m.RecordsSkipped++
		default:
			m.RecordsWritten++
			if u.out != nil && u.out[k].noTime {
				m.EventTimesMissing++
			}
		}
	}
}

func (m *Metrics) countObject(j job) {
	m.ObjectsWritten++
	m.BytesWritten += int64(len(j.body))
}

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
	// The level and time that Lambda's log-level filter reads, as on the other log lines.
	doc := map[string]any{"FunctionName": functionName, "level": level, config.LogTimestampKey: at.UTC().Format(config.LogTimeFormat)}
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
