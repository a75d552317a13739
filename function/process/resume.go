package process

import (
	"context"
	"encoding/json"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
)

// Record mode writes one object per user record, so a KPL aggregate of up to decode.MaxSubRecords user records
// may need more writes than one invocation has time for. Retrying it from the start would redo the same writes
// and never finish. Instead, an invocation that stops inside such an aggregate saves a progress marker: how many
// of its user records, from the first, are durably handled. Lambda retries from the aggregate (it is the reported
// record), so it is the first record of the next invocation, which reads the marker and writes only the rest.
//
// resumeAt is the number of user records from which an aggregate's progress is kept: below it, starting over costs
// less than reading and writing the marker.
const resumeAt = 1000

// progress is the body of a progress marker.
type progress struct {
	KeyPrefix string `json:"keyPrefix"` // the data objects it speaks of are under this prefix
	Handled   int    `json:"handled"`   // user records 0..Handled-1 are written, quarantined or skipped
}

func (p *Processor) resumable(u *unit) bool {
	_, reads := p.w.(Reader)
	return reads && p.cfg.OutputMode == config.ModeRecord && len(u.items) >= resumeAt
}

func (p *Processor) progressKey(u *unit) string {
	return layout.ProgressKey(p.cfg.ErrorPrefix, u.shard, u.rec.Kinesis.SequenceNumber)
}

// resume reads the progress marker of the first record, when it is an aggregate that may have one. Any problem
// reading it (none saved, no permission) means starting the aggregate over: correct, only slower.
func (p *Processor) resume(ctx context.Context, units []unit) {
	if len(units) == 0 || !p.resumable(&units[0]) {
		return
	}
	u := &units[0]
	body, err := p.w.(Reader).Get(ctx, p.progressKey(u))
	if err != nil {
		p.log.Debug("no progress marker", "key", p.progressKey(u), "error", err.Error())
		return
	}
	var pr progress
	if json.Unmarshal(body, &pr) != nil || pr.KeyPrefix != p.cfg.KeyPrefix || pr.Handled <= 0 || pr.Handled > len(u.items) {
		p.log.Warn("ignoring a progress marker that does not apply", "key", p.progressKey(u))
		return
	}
	u.resumed = pr.Handled
	p.log.Info("resuming a KPL aggregate", "shardId", u.shard, "sequenceNumber", u.rec.Kinesis.SequenceNumber,
		"handled", pr.Handled, "userRecords", len(u.items))
}

// saveProgress saves how far the invocation got through u, the first record not durably handled, when it is an
// aggregate worth resuming and the invocation got further than the marker it started from. It returns how many user
// records of u, from the first, the retry will not handle again: those of the marker saved, or of the one it read.
func (p *Processor) saveProgress(ctx context.Context, u unit, jobs []job) int {
	if !p.resumable(&u) {
		return u.resumed
	}
	n := handledPrefix(u, jobs)
	if n <= u.resumed {
		return u.resumed
	}
	body, _ := json.Marshal(progress{KeyPrefix: p.cfg.KeyPrefix, Handled: n}) // cannot fail
	if err := p.w.Put(ctx, p.progressKey(&u), body, "application/json"); err != nil {
		p.log.Warn("progress marker not saved: the retry starts the aggregate over", "error", err.Error())
		return u.resumed
	}
	p.log.Info("progress marker saved", "shardId", u.shard, "sequenceNumber", u.rec.Kinesis.SequenceNumber,
		"handled", n, "userRecords", len(u.items))
	return n
}

// handledPrefix counts the user records of u, from the first, that are durably handled: written by now or by an
// earlier invocation, quarantined, or skipped (invalid, or dropped by the transform).
func handledPrefix(u unit, jobs []job) int {
	quarantined := true // without a quarantine job, invalid user records were skipped
	var data []int      // the unit's data jobs, in user-record order
	for _, j := range u.jobs {
		if jobs[j].quarantine {
			quarantined = jobs[j].ok
		} else {
			data = append(data, j)
		}
	}
	n := u.resumed
	for k, it := range u.items[u.resumed:] {
		if u.dropped(u.resumed + k) {
			n++ // the transform dropped it: nothing to write
			continue
		}
		if it.Err == nil {
			if !jobs[data[0]].ok {
				break
			}
			data = data[1:]
		} else if !quarantined {
			break
		}
		n++
	}
	return n
}
