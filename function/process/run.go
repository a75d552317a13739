package process

import (
	"context"
	"sync"
	"time"
)

// uploads writes jobs as they are handed over, in that order, with bounded concurrency: UPLOAD_CONCURRENCY writers
// take the next job in turn (a goroutine per writer rather than per job, since record mode has thousands). Batch
// mode hands each object over as soon as it is encoded, so that its upload overlaps encoding the next one.
//
// After a failure the writers start no write of a job that comes after the failed one in record order (see
// ordered): Lambda retries from the failed record, so those would be repeated anyway. Jobs before it are still
// written, whatever the order writers happen to reach them in, so that the checkpoint is where the failure is and
// not earlier (a quarantine object handed over after the batch objects can hold an earlier record). Once ctx is
// done no write starts. Writes already under way finish with ctx, so a failure elsewhere does not cut them short.
//
// The outcome of each write is kept here, by job index, not in the job: the jobs slice may grow after some are handed
// over (quarantine objects after the batch objects), and room for every possible job up front cost 96 bytes a record.
type uploads struct {
	p       *Processor
	ctx     context.Context
	wg      sync.WaitGroup
	queue   chan handed
	ok      []bool // by job index
	writers int

	mu     sync.Mutex
	failed *handed // the failed job first in record order; nil while none has failed
}

// handed is a job handed over: what it points to is only read, and stays valid if the slice it came from grows.
type handed struct {
	index int
	job   *job
}

// ordered reports whether a comes before b in record order: by the first record each holds, then by job index
// (the user records of one aggregate, each an object in record mode, are written in order).
func ordered(a, b handed) bool {
	fa, fb := a.job.units[0], b.job.units[0]
	return fa < fb || fa == fb && a.index < b.index
}

// uploads starts the writes of an invocation that hands over at most n jobs.
func (p *Processor) uploads(ctx context.Context, n int) *uploads {
	return &uploads{p: p, ctx: ctx, queue: make(chan handed, n), ok: make([]bool, n)}
}

// add hands over jobs[i] to be written; its key, body and content type must not change after that.
func (u *uploads) add(jobs []job, i int) {
	if u.writers < max(1, u.p.cfg.UploadConcurrency) {
		u.writers++
		u.wg.Go(u.write)
	}
	u.queue <- handed{i, &jobs[i]} // never blocks: the queue holds every job
}

func (u *uploads) write() {
	for h := range u.queue {
		if u.ctx.Err() != nil || u.afterFailure(h) {
			continue
		}
		j := h.job
		if err := u.p.w.Put(u.ctx, j.key, j.body, j.contentType); err != nil {
			u.p.log.Error("write failed", "key", j.key, "error", err.Error())
			u.fail(h)
			continue
		}
		u.ok[h.index] = true
	}
}

// afterFailure reports whether h comes after a job that failed.
func (u *uploads) afterFailure(h handed) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.failed != nil && ordered(*u.failed, h)
}

// fail records the failure of h.
func (u *uploads) fail(h handed) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failed == nil || ordered(h, *u.failed) {
		u.failed = &h
	}
}

// wait waits for the writes of every job handed over and sets each job's ok to its outcome.
func (u *uploads) wait(jobs []job) {
	close(u.queue)
	u.wg.Wait()
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
