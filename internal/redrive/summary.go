package redrive

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Verdict is what became of one message.
type Verdict string

// Verdicts. Every one but VerdictDeleted and VerdictWouldRedrive keeps the message on the queue.
const (
	// VerdictDeleted: every record of the range is durably handled and the message is deleted.
	VerdictDeleted Verdict = "deleted"
	// VerdictWouldRedrive (dry run): the whole range is in the stream; a redrive would reprocess it.
	VerdictWouldRedrive Verdict = "would redrive"
	// VerdictDataGone: part or all of the range is no longer in the stream (trimmed by retention, or the
	// stream or shard was deleted). Whatever was still there was reprocessed (not in a dry run); the rest
	// can only come from another copy of the data.
	VerdictDataGone Verdict = "KEPT: data gone"
	// VerdictFailed: a batch still failed after the retries (or the run was interrupted).
	VerdictFailed Verdict = "KEPT: reprocessing failed"
	// VerdictReadError: the stream could not be read (permissions, throttling, network); retry later.
	VerdictReadError Verdict = "KEPT: stream read error"
	// VerdictNotDeleted: every record was handled but DeleteMessage failed; a rerun reprocesses the range
	// again, which writes the same objects.
	VerdictNotDeleted Verdict = "KEPT: delete failed"
	// VerdictUnreadable: the message is not a usable Kinesis on-failure record; it is left alone.
	VerdictUnreadable Verdict = "KEPT: not a Kinesis on-failure record"
)

// Kept reports whether the verdict leaves the message on the queue for a later run.
func (v Verdict) Kept() bool { return v != VerdictDeleted && v != VerdictWouldRedrive }

// Outcome describes one message.
type Outcome struct {
	MessageID string
	Verdict   Verdict
	Reason    string // why the message was kept; empty otherwise

	// From the on-failure record (empty for VerdictUnreadable).
	StreamARN, ShardID, Start, End string
	BatchSize                      int // records in the discarded batch, as the on-failure record says

	Records     int // records of the range found in the stream
	Reprocessed int // of those, durably handled in this run
	Failed      int // of those, attempted and still not durably handled
	// User records written, quarantined and skipped, when Detailed (see Result).
	Detailed                      bool
	Written, Quarantined, Skipped int
	Oldest                        time.Time // arrival of the range's first record (zero if unknown)
	Retention                     time.Duration
	Warnings                      []string
}

// Summary is what a run did, with exact counts.
type Summary struct {
	DryRun   bool
	Messages int // distinct messages received
	Redriven int // messages whose whole range was durably handled (dry run: would be)
	Deleted  int
	Kept     int
	KeptBy   map[Verdict]int

	RecordsRead        int // records of the ranges found in the stream
	RecordsReprocessed int // durably handled
	RecordsFailed      int // attempted and not durably handled
	// Detailed says that Written, Quarantined and Skipped are known (direct mode); an invoked function does
	// not report them. They count the user records of every object written, so a record whose object a retry
	// wrote again (same key, same content) counts twice; without retries they are exact.
	Detailed                      bool
	Written, Quarantined, Skipped int // user records

	Interrupted bool
	Outcomes    []Outcome // in the order the messages finished
}

func (s *Summary) add(o Outcome) {
	s.Outcomes = append(s.Outcomes, o)
	s.Messages++
	switch {
	case o.Verdict == VerdictDeleted:
		s.Redriven++
		s.Deleted++
	case o.Verdict == VerdictWouldRedrive:
		s.Redriven++
	case o.Verdict == VerdictNotDeleted:
		s.Redriven++
		fallthrough
	default:
		s.Kept++
		if s.KeptBy == nil {
			s.KeptBy = map[Verdict]int{}
		}
		s.KeptBy[o.Verdict]++
	}
	s.RecordsRead += o.Records
	s.RecordsReprocessed += o.Reprocessed
	s.RecordsFailed += o.Failed
	if o.Detailed {
		s.Detailed = true
		s.Written += o.Written
		s.Quarantined += o.Quarantined
		s.Skipped += o.Skipped
	}
}

// keptOrder lists the kept verdicts in the order the summary shows them.
var keptOrder = []Verdict{VerdictDataGone, VerdictFailed, VerdictReadError, VerdictNotDeleted, VerdictUnreadable}

// Write prints the summary: one line of counts per subject, then every kept message with its reason.
func (s Summary) Write(w io.Writer) {
	mode := "redrive"
	if s.DryRun {
		mode = "redrive (dry run: nothing reprocessed or deleted)"
	}
	fmt.Fprintf(w, "%s summary\n", mode)
	if s.DryRun {
		fmt.Fprintf(w, "  messages: %d received, %d would be redriven, %d would be kept\n", s.Messages, s.Redriven, s.Kept)
	} else {
		fmt.Fprintf(w, "  messages: %d received, %d redriven, %d deleted, %d kept\n", s.Messages, s.Redriven, s.Deleted, s.Kept)
	}
	for _, v := range keptOrder {
		if n := s.KeptBy[v]; n > 0 {
			fmt.Fprintf(w, "    %-40s %d\n", strings.TrimPrefix(string(v), "KEPT: ")+":", n)
		}
	}
	if s.DryRun {
		fmt.Fprintf(w, "  records: %d found in the stream\n", s.RecordsRead)
	} else {
		fmt.Fprintf(w, "  records: %d found in the stream, %d reprocessed, %d failed\n", s.RecordsRead, s.RecordsReprocessed, s.RecordsFailed)
		if s.Detailed {
			fmt.Fprintf(w, "  user records: %d written, %d quarantined, %d skipped\n", s.Written, s.Quarantined, s.Skipped)
		} else if s.RecordsReprocessed > 0 {
			fmt.Fprintln(w, "  user records written/quarantined: reported by the function's own metrics and logs (invoke mode)")
		}
	}
	if s.Interrupted {
		fmt.Fprintln(w, "  INTERRUPTED: the run stopped early; messages not finished are kept")
	}
	for _, o := range s.Outcomes {
		if o.Verdict.Kept() {
			fmt.Fprintf(w, "  %s: message %s%s: %s\n", o.Verdict, o.MessageID, o.rangeText(), o.Reason)
		}
	}
}

// rangeText is " (shard S, range A..B)" or "" when the message had no usable range.
func (o Outcome) rangeText() string {
	if o.ShardID == "" {
		return ""
	}
	return fmt.Sprintf(" (%s %s, range %s..%s)", streamName(o.StreamARN), o.ShardID, o.Start, o.End)
}

// streamName is the name part of a stream ARN, or the ARN itself.
func streamName(arn string) string {
	if i := strings.LastIndex(arn, ":stream/"); i >= 0 {
		return arn[i+len(":stream/"):]
	}
	return arn
}

// ageText describes the oldest record's age against the stream's retention.
func (o Outcome) ageText(now time.Time) string {
	if o.Oldest.IsZero() {
		return ""
	}
	age := now.Sub(o.Oldest)
	if o.Retention <= 0 {
		return fmt.Sprintf("oldest record %s old, retention unknown", human(age))
	}
	left := o.Retention - age
	if left <= 0 {
		return fmt.Sprintf("oldest record %s old, past the %s retention", human(age), human(o.Retention))
	}
	return fmt.Sprintf("oldest record %s old, retention %s: %s left", human(age), human(o.Retention), human(left))
}

// human writes a duration the way an operator reads it: 24h, 3h05m, 7m30s, 4s.
func human(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0 && m == 0:
		return fmt.Sprintf("%dh", h)
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

func (o *Outcome) count(res Result) {
	if res.Detailed {
		o.Detailed = true
		o.Written += res.Written
		o.Quarantined += res.Quarantined
		o.Skipped += res.Skipped
	}
}
