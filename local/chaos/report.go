package chaos

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/local/pipeline"
)

// Why a record was found twice in batch mode.
const (
	dupAfterWholeFailure = "written by an invocation that then failed as a whole (%s); the retry split the batch and wrote it under another key"
	dupRedriven          = "in a range given up on after an invocation had written it; the redrive wrote it again"
	dupUnexplained       = "UNEXPLAINED"
)

// account takes the ledger's report into the result and decides the verdict.
func (r *Result) account(rep ledger.Report, ev *events, outputMode string) {
	r.Written, r.Quarantined, r.Dropped = rep.Written, rep.Quarantined, rep.Dropped
	r.Lost = len(rep.Missing)
	r.Duplicated = len(rep.Copies)
	r.Problems = rep.Problems
	r.missingExamples = rep.Missing[:min(len(rep.Missing), 5)]

	_, _, failed, discarded := ev.snapshot()
	r.DuplicateCauses = map[string]int{}
	for _, c := range rep.Copies {
		r.DuplicateCauses[duplicateCause(c, failed, discarded)]++
	}

	if r.Lost > 0 {
		var ids []string
		for _, e := range r.missingExamples {
			ids = append(ids, fmt.Sprintf("%s/%s#%d", e.ShardID, e.SequenceNumber, e.SubIndex))
		}
		r.fail("%d user records lost (neither written nor quarantined), e.g. %s", r.Lost, strings.Join(ids, ", "))
	}
	if len(r.Problems) > 0 {
		r.fail("%d problems in the bucket, e.g. %s", len(r.Problems), strings.Join(r.Problems[:min(len(r.Problems), 3)], "; "))
	}
	switch {
	case r.Duplicated > 0 && outputMode == "record":
		r.fail("%d user records written twice in record mode", r.Duplicated)
	case r.DuplicateCauses[dupUnexplained] > 0:
		r.fail("%d duplicates that no whole-batch failure or redrive explains", r.DuplicateCauses[dupUnexplained])
	}
	if r.Written+r.Quarantined+r.Dropped != r.UserRecords && r.Lost == 0 && len(r.Problems) == 0 {
		r.fail("written %d + quarantined %d + dropped %d ≠ %d user records fed", r.Written, r.Quarantined, r.Dropped, r.UserRecords)
	}
	if r.Mapping.OnFailureSent == 0 {
		r.fail("no range went to the on-failure destination")
	}
	if r.FaultShare > 0 && r.Faults.S3Errors == 0 && r.Faults.S3Resets == 0 {
		r.fail("no S3 request failed at random")
	}
	if r.Redrive.unparsed {
		r.fail("could not read pipelinectl redrive's summary (see its log)")
	}
}

// duplicateCause says why record c is in more than one object: it lies in a batch that failed as a whole after
// writing (a timeout or a killed runtime mid-upload), which bisection then retried in halves whose objects start at
// other records; or in a range the mapping gave up on, which the redrive wrote again.
func duplicateCause(c ledger.Copy, failed, discarded []span) string {
	shard, seq := c.Record.ShardID, c.Record.SequenceNumber
	for _, s := range failed {
		if s.holds(shard, seq) {
			return fmt.Sprintf(dupAfterWholeFailure, s.cause)
		}
	}
	for _, s := range discarded {
		if s.holds(shard, seq) {
			return dupRedriven
		}
	}
	return dupUnexplained
}

// writeTable prints the summary: one column per mode.
func writeTable(w io.Writer, results []Result) {
	if len(results) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	row := func(label string, cell func(Result) string) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, r := range results {
			fmt.Fprintf(tw, " %s\t", cell(r))
		}
		fmt.Fprintln(tw)
	}
	row("", func(r Result) string { return r.Mode })
	row("Kinesis records fed", func(r Result) string { return num(int(r.Fed.Sent)) })
	row("  invalid / KPL aggregates", func(r Result) string { return num(int(r.Fed.Invalid)) + " / " + num(int(r.Fed.KPL)) })
	row("user records", func(r Result) string { return num(r.UserRecords) })
	row("  written / quarantined", func(r Result) string { return num(r.Written) + " / " + num(r.Quarantined) })
	row("faults: S3 5xx / resets", func(r Result) string { return num(r.Faults.S3Errors) + " / " + num(r.Faults.S3Resets) })
	row("  brown-out (share failing)", func(r Result) string {
		return fmt.Sprintf("%s (%g%%)", r.Faults.BrownOut.Round(time.Second), 100*r.FaultShare)
	})
	row("  S3 outage (uploads failed)", func(r Result) string {
		return fmt.Sprintf("%s (%s)", r.Faults.Outage.Round(time.Second), num(r.Faults.OutageRequests))
	})
	row("  runtimes killed / frozen", func(r Result) string { return fmt.Sprintf("%d / %d", r.Faults.Killed, r.Faults.Frozen) })
	row("invocations", func(r Result) string { return num(int(r.Mapping.Invocations)) })
	row("  timeouts / runtime exits / other", func(r Result) string {
		return fmt.Sprintf("%d / %d / %d", r.FunctionErrors[causeTimeout], r.FunctionErrors[causeKilled], r.FunctionErrors[causeOther])
	})
	row("  partial batch failures", func(r Result) string { return num(int(r.Mapping.PartialFailures)) })
	row("retries", func(r Result) string { return num(r.Retries) })
	row("bisections", func(r Result) string { return num(int(r.Mapping.Bisects)) })
	row("given up on: on-failure records / records", func(r Result) string {
		return fmt.Sprintf("%d / %s", r.Mapping.OnFailureSent, num(int(r.Mapping.RecordsDiscarded)))
	})
	row("  sent to", func(r Result) string {
		return map[string]string{pipeline.OnFailureSQS: "SQS (DLQ)", pipeline.OnFailureS3: "S3 objects"}[r.OnFailureDestination]
	})
	row("redriven: on-failure records / records", func(r Result) string {
		return fmt.Sprintf("%d / %s", r.Redrive.Deleted, num(r.Redrive.RecordsReprocessed))
	})
	row("  redrive runs (exit codes)", func(r Result) string { return fmt.Sprintf("%d %v", r.Redrive.Runs, r.Redrive.ExitCodes) })
	row("lost", func(r Result) string { return num(r.Lost) })
	row("duplicated", func(r Result) string { return num(r.Duplicated) })
	row("wall time", func(r Result) string { return r.Wall.Round(time.Second).String() })
	row("verdict", func(r Result) string {
		if r.Err() != nil {
			return "FAILED"
		}
		return "ok"
	})
	tw.Flush()

	for _, r := range results {
		if r.Duplicated == 0 && r.Lost == 0 && len(r.Failures) == 0 {
			fmt.Fprintf(w, "%s: every user record is in the bucket exactly once\n", r.Mode)
		}
		for _, cause := range slices.Sorted(maps.Keys(r.DuplicateCauses)) {
			fmt.Fprintf(w, "%s: %d duplicated user records: %s\n", r.Mode, r.DuplicateCauses[cause], cause)
		}
		for _, f := range r.Failures {
			fmt.Fprintf(w, "%s: FAILED: %s\n", r.Mode, f)
		}
	}
}

// num writes n with thousands separators.
func num(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
