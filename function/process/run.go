package process

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"
)

// uploads writes jobs as they are handed over, in that order, with bounded concurrency: UPLOAD_CONCURRENCY writers
// take the next job in turn (a goroutine per writer rather than per job, since record mode has thousands). Batch
// mode hands each object over as soon as it is encoded, so that its upload overlaps encoding the next one. After the
// first failure, or once ctx is done, the writers start no new writes: Lambda retries from the failed record, so
// later writes would be repeated anyway. Writes already under way finish with ctx, not with the group's context,
// so a failure elsewhere does not cut them short.
//
// The outcome of each write is kept here, by job index, not in the job: the jobs slice may grow after some are handed
// over (quarantine objects after the batch objects), and room for every possible job up front cost 96 bytes a record.
type uploads struct {
	p       *Processor
	ctx     context.Context
	g       *errgroup.Group
	stop    context.Context // done after the first failure
	queue   chan handed
	ok      []bool // by job index
	writers int
}

// handed is a job handed over: what it points to is only read, and stays valid if the slice it came from grows.
type handed struct {
	index int
	job   *job
}

// uploads starts the writes of an invocation that hands over at most n jobs.
func (p *Processor) uploads(ctx context.Context, n int) *uploads {
	g, stop := errgroup.WithContext(ctx)
	return &uploads{p: p, ctx: ctx, g: g, stop: stop, queue: make(chan handed, n), ok: make([]bool, n)}
}

// add hands over jobs[i] to be written; its key, body and content type must not change after that.
func (u *uploads) add(jobs []job, i int) {
	if u.writers < max(1, u.p.cfg.UploadConcurrency) {
		u.writers++
		u.g.Go(u.write)
	}
	u.queue <- handed{i, &jobs[i]} // never blocks: the queue holds every job
}

func (u *uploads) write() error {
	for h := range u.queue {
		if u.stop.Err() != nil {
			continue
		}
		j := h.job
		if err := u.p.w.Put(u.ctx, j.key, j.body, j.contentType); err != nil {
			u.p.log.Error("write failed", "key", j.key, "error", err.Error())
			return err
		}
		u.ok[h.index] = true
	}
	return nil
}

// wait waits for the writes of every job handed over and sets each job's ok to its outcome.
func (u *uploads) wait(jobs []job) {
	close(u.queue)
	_ = u.g.Wait()
	for i := range jobs {
		jobs[i].ok = u.ok[i]
	}
}

// checkpoint returns the first unit, in shard order, that is not durably handled (len when all are), moved back to
// the start of the batch-mode object it falls in.
func checkpoint(units []unit, jobs []job, spans [][2]int) int {
	first := len(units)
	for i := range units {
		if !durable(units[i], jobs) {
			first = i
			break
		}
	}
	return lowerToObjectStart(first, spans)
}

// durable reports whether every object the record's user records went to was written.
func durable(u unit, jobs []job) bool {
	for _, j := range u.jobs {
		if !jobs[j].ok {
			return false
		}
	}
	return true
}

// lowerToObjectStart moves a checkpoint that falls inside a batch-mode object to that object's first record.
// Lambda retries from the reported record; were it in the middle of an object already written, the retry would
// write that object's later records a second time under a new key. Reporting the object's first record instead
// makes the retry overwrite the same key.
func lowerToObjectStart(first int, spans [][2]int) int {
	for changed := true; changed; {
		changed = false
		for _, s := range spans {
			if s[0] < first && s[1] >= first {
				first, changed = s[0], true
			}
		}
	}
	return first
}

// withReserve shortens the context's deadline so that the handler can still report what it did before Lambda
// kills it: by a tenth of the remaining time, at least 200 ms and at most 2 s, times share (1 for the writes; ½
// for the progress marker saved after them, so that the response still has time).
func withReserve(ctx context.Context, share float64) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := min(max(time.Until(deadline)/10, 200*time.Millisecond), 2*time.Second)
	return context.WithDeadline(ctx, deadline.Add(-time.Duration(float64(reserve)*share)))
}
