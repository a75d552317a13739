package redrive

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Verdict is what became of one message.
type Verdict string

// Verdicts. Every one but VerdictDeleted, VerdictTagged, VerdictWouldRedrive and VerdictAlreadyRedriven keeps
// the message on the queue (the object as it is).
const (
	// VerdictDeleted: every record of the range is durably handled and the message (object) is deleted.
	VerdictDeleted Verdict = "deleted"
	// VerdictTagged (S3, Options.Tag): every record is durably handled and the object is tagged RedrivenTag.
	VerdictTagged Verdict = "tagged"
	// VerdictAlreadyRedriven (S3, Options.Tag): the object carries RedrivenTag from an earlier run; it is left
	// alone.
	VerdictAlreadyRedriven Verdict = "skipped: redriven before"
	// VerdictWouldRedrive (dry run): the whole range is in the stream; a redrive would reprocess it.
	VerdictWouldRedrive Verdict = "would redrive"
	// VerdictDataGone: part or all of the range is no longer in the stream (trimmed by retention, or the
	// stream or shard was deleted). Whatever was still there was reprocessed (not in a dry run); the rest
	// can only come from another copy of the data.
	VerdictDataGone Verdict = "KEPT: data gone"
	// VerdictWiderRange (queue): the range holds more records than the failed batch did (parallelization_factor
	// > 1: it spans other batches' records too); nothing was reprocessed (Options.AllowWiderRange).
	VerdictWiderRange Verdict = "KEPT: range wider than the batch"
	// VerdictFailed: a batch still failed after the retries (or the run was interrupted).
	VerdictFailed Verdict = "KEPT: reprocessing failed"
	// VerdictReadError: the stream could not be read (permissions, throttling, network); retry later.
	VerdictReadError Verdict = "KEPT: stream read error"
	// VerdictObjectReadError (S3): the object could not be read (permissions, throttling, network, too big);
	// retry later.
	VerdictObjectReadError Verdict = "KEPT: object read error"
	// VerdictNotDeleted: every record was handled but DeleteMessage (DeleteObject) failed; a rerun reprocesses
	// the records again, which writes the same objects.
	VerdictNotDeleted Verdict = "KEPT: delete failed"
	// VerdictNotTagged (S3, Options.Tag): every record was handled but tagging the object failed; as above.
	VerdictNotTagged Verdict = "KEPT: tag failed"
	// VerdictUnreadable: the message (object) is not a usable Kinesis on-failure record; it is left alone.
	VerdictUnreadable Verdict = "KEPT: not a Kinesis on-failure record"
)

// Kept reports whether the verdict leaves the message on the queue (the object as it is) for a later run.
func (v Verdict) Kept() bool {
	return v != VerdictDeleted && v != VerdictTagged && v != VerdictWouldRedrive && v != VerdictAlreadyRedriven
}

// Outcome describes one message, or one object.
type Outcome struct {
	MessageID string // the message ID, or the object key
	Verdict   Verdict
	Reason    string // why the message was kept; empty otherwise

	// From the on-failure record (empty for VerdictUnreadable).
	StreamARN, ShardID, Start, End string
	BatchSize                      int // records in the discarded batch, as the on-failure record says

	Records     int // records of the range found in the stream (in the object)
	Reprocessed int // of those, durably handled in this run
	Failed      int // of those, attempted and still not durably handled
	// User records written, quarantined and skipped, when Detailed (see Result).
	Detailed                      bool
	Written, Quarantined, Skipped int
	Oldest                        time.Time // arrival of the range's first record (zero if unknown)
	Retention                     time.Duration
	// InObject says that the records came from an S3 object's payload: the stream's retention does not
	// matter to them.
	InObject bool
	Warnings []string
}

// Summary is what a run did, with exact counts.
type Summary struct {
	DryRun bool
	// Objects says that the on-failure records came from S3 objects, not queue messages; Tag that redriven
	// objects were tagged (Options.Tag), not deleted.
	Objects, Tag    bool
	Messages        int // distinct messages received (objects read)
	Redriven        int // messages whose whole range was durably handled (dry run: would be)
	Deleted         int
	Tagged          int // objects tagged as redriven (Options.Tag)
	AlreadyRedriven int // objects tagged by an earlier run, left alone (Options.Tag)
	Kept            int
	KeptBy          map[Verdict]int

	RecordsRead        int // records of the ranges found in the stream (in the objects)
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
	case o.Verdict == VerdictTagged:
		s.Redriven++
		s.Tagged++
	case o.Verdict == VerdictAlreadyRedriven:
		s.AlreadyRedriven++
	case o.Verdict == VerdictWouldRedrive:
		s.Redriven++
	case o.Verdict == VerdictNotDeleted || o.Verdict == VerdictNotTagged:
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
var keptOrder = []Verdict{VerdictDataGone, VerdictWiderRange, VerdictFailed, VerdictReadError, VerdictObjectReadError,
	VerdictNotDeleted, VerdictNotTagged, VerdictUnreadable}

// Write prints the summary: one line of counts per subject, then every kept message with its reason.
func (s Summary) Write(w io.Writer) {
	mode := "redrive"
	if s.DryRun {
		mode = "redrive (dry run: nothing reprocessed or deleted)"
	}
	fmt.Fprintf(w, "%s summary\n", mode)
	noun, took, settled, n, where := "messages", "received", "deleted", s.Deleted, "the stream"
	if s.Objects {
		noun, took, where = "objects", "read", "the objects"
	}
	if s.Tag {
		settled, n = "tagged", s.Tagged
	}
	skipped := ""
	if s.Tag || s.AlreadyRedriven > 0 {
		skipped = fmt.Sprintf(", %d skipped (redriven before)", s.AlreadyRedriven)
	}
	if s.DryRun {
		fmt.Fprintf(w, "  %s: %d %s, %d would be redriven, %d would be kept%s\n", noun, s.Messages, took, s.Redriven, s.Kept, skipped)
	} else {
		fmt.Fprintf(w, "  %s: %d %s, %d redriven, %d %s, %d kept%s\n", noun, s.Messages, took, s.Redriven, n, settled, s.Kept, skipped)
	}
	for _, v := range keptOrder {
		if n := s.KeptBy[v]; n > 0 {
			fmt.Fprintf(w, "    %-40s %d\n", strings.TrimPrefix(string(v), "KEPT: ")+":", n)
		}
	}
	if s.DryRun {
		fmt.Fprintf(w, "  records: %d found in %s\n", s.RecordsRead, where)
	} else {
		fmt.Fprintf(w, "  records: %d found in %s, %d reprocessed, %d failed\n", s.RecordsRead, where, s.RecordsReprocessed, s.RecordsFailed)
		if s.Detailed {
			fmt.Fprintf(w, "  user records: %d written, %d quarantined, %d skipped\n", s.Written, s.Quarantined, s.Skipped)
		} else if s.RecordsReprocessed > 0 {
			fmt.Fprintln(w, "  user records written/quarantined: reported by the function's own metrics and logs (invoke mode)")
		}
	}
	if s.Interrupted {
		fmt.Fprintf(w, "  INTERRUPTED: the run stopped early; %s not finished are kept\n", noun)
	}
	for _, o := range s.Outcomes {
		if o.Verdict.Kept() {
			fmt.Fprintf(w, "  %s: %s %s%s: %s\n", o.Verdict, noun[:len(noun)-1], o.MessageID, o.rangeText(), o.Reason)
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
	if o.InObject {
		return fmt.Sprintf("oldest record %s old, kept in the object", human(age))
	}
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
