// Package ledger checks a bucket written by kinesis2s3 against the records that were put into the stream: every
// user record must be in exactly one place — its own object (record mode), one line of one batch object (batch
// mode) or a quarantine object — under the key the layout promises, with the right content, and nothing else may
// be there. It reads the bucket through the S3 API only, so it checks a local pipeline and a deployed one alike.
//
// Its expectations are independent of the function's code: keys are matched with regular expressions written
// from the documented layout, batch lines are compared with encoding/json's compaction, and objects are
// decompressed with the standard gzip reader and a zstd decoder.
package ledger

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/zstd"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
)

// S3 is the part of *s3.Client the checker reads the bucket with.
type S3 interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Layout is the function's output configuration (OUTPUT_MODE, COMPRESSION, KEY_PREFIX, ERROR_PREFIX).
type Layout struct {
	OutputMode  string // "record" or "batch"
	Compression string // "gzip", "zstd" or "none" (batch mode)
	KeyPrefix   string
	ErrorPrefix string
}

// Expect is one user record and where it must end up.
type Expect struct {
	ShardID, SequenceNumber string
	// SubIndex is the position in a KPL aggregated record, or -1 for a plain record.
	SubIndex int
	// Data is the user record: in record mode the object's exact body, in batch mode a line once compacted.
	// For a record to be quarantined it is the raw bytes the quarantine object must carry.
	Data []byte
	// Quarantine says the record is invalid and must be quarantined under ErrorPrefix, with a reason that
	// contains Reason (any reason when empty).
	Quarantine bool
	Reason     string
}

func (e Expect) id() string {
	id := e.ShardID + "/" + e.SequenceNumber
	if e.SubIndex >= 0 {
		id += "#" + strconv.Itoa(e.SubIndex)
	}
	return id
}

// Object is an object found under the data or error prefix.
type Object struct {
	Key        string
	Size       int64
	Quarantine bool
	// Lines is the number of JSON Lines in a batch object; FirstLine the first of them, decompressed. A
	// record-mode object has FirstLine set to its body. A quarantine object has Reason.
	Lines     int
	FirstLine []byte
	Reason    string
	// Records are the expected records found in the object, in the object's order.
	Records []Expect

	etag string
}

// Report is the outcome of one check.
type Report struct {
	Expected    int // user records expected
	Written     int // found where they belong, in a data object
	Quarantined int // found where they belong, in a quarantine object
	// Missing are the expected records not found (yet).
	Missing []Expect
	// Duplicates lists records found more than once; Problems everything else that breaks the layout's promise:
	// unexpected keys or lines, wrong content, a record in the wrong place, an unreadable object.
	Duplicates []string
	Problems   []string
	// Copies lists each record found more than once with the keys of the objects it was found in, in key order:
	// what it takes to tell why (see Duplicates for a readable summary).
	Copies []Copy
	// Objects is every object under the prefixes, data objects first, each group in key order.
	Objects []Object
}

// Copy is a record found in more than one place.
type Copy struct {
	Record Expect
	Keys   []string
}

// Complete reports that every expected record was found.
func (r Report) Complete() bool { return len(r.Missing) == 0 }

// Err summarises what is wrong (at most a few items of each kind), or returns nil when every record is where it
// belongs exactly once and nothing else is in the bucket.
func (r Report) Err() error {
	var errs []error
	list := func(what string, items []string) {
		if len(items) == 0 {
			return
		}
		shown := items[:min(len(items), 5)]
		more := ""
		if len(items) > len(shown) {
			more = fmt.Sprintf(" (and %d more)", len(items)-len(shown))
		}
		errs = append(errs, fmt.Errorf("%d %s: %s%s", len(items), what, strings.Join(shown, "; "), more))
	}
	var missing []string
	for _, e := range r.Missing {
		missing = append(missing, e.id())
	}
	list("missing", missing)
	list("duplicated", r.Duplicates)
	list("problems", r.Problems)
	return errors.Join(errs...)
}

// Checker checks one bucket. It remembers the objects it has read (by key and ETag), so that checking again and
// again while the pipeline fills the bucket downloads only what changed. Check is not safe for concurrent use (it
// reads objects concurrently itself).
type Checker struct {
	api    S3
	bucket string
	layout Layout
	// Since, when set, is the earliest arrival time of the records: the hour partition of every key must lie
	// between its hour and the time of the check.
	Since time.Time

	mu    sync.Mutex // guards cache: objects are read concurrently
	cache map[string]cached
	zstd  *zstd.Decoder

	recordKey, batchKey, quarantineKey *regexp.Regexp
}

type cached struct {
	etag string
	body []byte // decompressed for batch objects
	err  error
}

// NewChecker returns a Checker for the bucket written with layout.
func NewChecker(api S3, bucket string, layout Layout) (*Checker, error) {
	switch layout.OutputMode {
	case "record", "batch":
	default:
		return nil, fmt.Errorf("ledger: output mode %q is not record or batch", layout.OutputMode)
	}
	if layout.OutputMode == "batch" && !slices.Contains([]string{"gzip", "zstd", "none"}, layout.Compression) {
		return nil, fmt.Errorf("ledger: compression %q is not gzip, zstd or none", layout.Compression)
	}
	if layout.ErrorPrefix == "" || layout.ErrorPrefix == layout.KeyPrefix {
		return nil, fmt.Errorf("ledger: error prefix %q must be set and differ from the key prefix", layout.ErrorPrefix)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("ledger: zstd: %w", err)
	}
	c := &Checker{api: api, bucket: bucket, layout: layout, cache: map[string]cached{}, zstd: dec}
	c.recordKey, c.batchKey, c.quarantineKey = keyPatterns(layout)
	return c, nil
}

// Close releases the zstd decoder.
func (c *Checker) Close() { c.zstd.Close() }

// Check reads the bucket and matches it against want. It returns an error only when the bucket cannot be read;
// what is wrong with its content is in the Report.
func (c *Checker) Check(ctx context.Context, want []Expect) (Report, error) {
	m := newMatcher(want)
	rep := Report{Expected: len(want)}
	dataObjs, err := c.list(ctx, c.layout.KeyPrefix)
	if err != nil {
		return rep, err
	}
	errObjs, err := c.list(ctx, c.layout.ErrorPrefix)
	if err != nil {
		return rep, err
	}
	// Progress markers (<ERROR_PREFIX>_progress/, README: delivery guarantees) are the function's state while it
	// works through a large KPL aggregate, not records.
	errObjs = slices.DeleteFunc(errObjs, func(o Object) bool { return strings.HasPrefix(o.Key, c.layout.ErrorPrefix+"_progress/") })
	var toRead []Object
	for _, o := range dataObjs {
		if _, ok := c.sameETag(o, m); !ok {
			toRead = append(toRead, o)
		}
	}
	c.prefetch(ctx, toRead, c.layout.OutputMode == "batch")
	c.prefetch(ctx, errObjs, false)
	for _, o := range dataObjs {
		if strings.HasPrefix(o.Key, c.layout.ErrorPrefix) {
			continue // the error prefix may lie under the key prefix
		}
		if e, ok := c.sameETag(o, m); ok {
			o.FirstLine = e.Data
			if m.take(e, &o) {
				rep.Written++
			}
			rep.Objects = append(rep.Objects, o)
			continue
		}
		body, err := c.read(ctx, o, c.layout.OutputMode == "batch")
		if err != nil {
			rep.Problems = append(rep.Problems, err.Error())
			continue
		}
		if c.layout.OutputMode == "batch" {
			c.checkBatch(&o, body, m, &rep)
		} else {
			c.checkRecord(&o, body, m, &rep)
		}
		rep.Objects = append(rep.Objects, o)
	}
	for _, o := range errObjs {
		o.Quarantine = true
		body, err := c.read(ctx, o, false)
		if err != nil {
			rep.Problems = append(rep.Problems, err.Error())
			continue
		}
		c.checkQuarantine(&o, body, m, &rep)
		rep.Objects = append(rep.Objects, o)
	}
	for _, e := range want {
		if m.found[e.id()] == 0 {
			rep.Missing = append(rep.Missing, e)
		}
	}
	rep.Duplicates = m.duplicates
	for _, e := range want {
		if keys := m.where[e.id()]; len(keys) > 1 {
			rep.Copies = append(rep.Copies, Copy{Record: e, Keys: keys})
		}
	}
	return rep, nil
}

func (c *Checker) list(ctx context.Context, prefix string) ([]Object, error) {
	var objs []Object
	p := s3.NewListObjectsV2Paginator(c.api, &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ledger: list s3://%s/%s: %w", c.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			objs = append(objs, Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
				etag: aws.ToString(o.ETag)})
		}
	}
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objs, nil
}

// readers is how many objects a check reads at once: a bucket of one object per record (record mode) holds
// hundreds of thousands after a large run, and S3 answers each GET in its own time.
const readers = 16

// prefetch reads the objects not cached yet into the cache, readers at a time, so that the matching (which is
// sequential) finds them there.
func (c *Checker) prefetch(ctx context.Context, objs []Object, batch bool) {
	next := make(chan Object)
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for o := range next {
				_, _ = c.read(ctx, o, batch) // an error is met again, and reported, by the matching
			}
		})
	}
	for _, o := range objs {
		if _, ok := c.cached(o); !ok && ctx.Err() == nil {
			next <- o
		}
	}
	close(next)
	wg.Wait()
}

// cached returns the cache entry of an object whose ETag is unchanged.
func (c *Checker) cached(o Object) (cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hit, ok := c.cache[o.Key]
	return hit, ok && hit.etag == o.etag && o.etag != ""
}

// read returns the object's body, decompressed for batch objects, from the cache when its ETag is unchanged.
// An undecodable body is a Problem of the object, not an error of the check.
func (c *Checker) read(ctx context.Context, o Object, batch bool) ([]byte, error) {
	if hit, ok := c.cached(o); ok {
		return hit.body, hit.err
	}
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(o.Key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", o.Key, err)
	}
	raw, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", o.Key, err)
	}
	body := raw
	if batch {
		body, err = c.decompress(raw)
		if err != nil {
			err = fmt.Errorf("%s: not %s: %w", o.Key, c.layout.Compression, err)
		}
	}
	c.mu.Lock()
	c.cache[o.Key] = cached{etag: aws.ToString(out.ETag), body: body, err: err}
	c.mu.Unlock()
	return body, err
}

func (c *Checker) decompress(b []byte) ([]byte, error) {
	switch c.layout.Compression {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case "zstd":
		return c.zstd.DecodeAll(b, nil)
	}
	return b, nil
}

// Key patterns, from the documented layout.
const (
	hourRE  = `year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/`
	seqRE   = `(\d{1,128})`
	shardRE = `(shardId-\d+)`
)

// keyPatterns compiles the three key patterns for a layout.
func keyPatterns(l Layout) (record, batch, quarantine *regexp.Regexp) {
	ext := map[string]string{"gzip": ".gz", "zstd": ".zst", "none": ""}[l.Compression]
	record = regexp.MustCompile(`^` + regexp.QuoteMeta(l.KeyPrefix) + seqRE + `(?:-(\d+))?\.json$`)
	batch = regexp.MustCompile(`^` + regexp.QuoteMeta(l.KeyPrefix) + hourRE + shardRE + `-` + seqRE +
		`\.jsonl` + regexp.QuoteMeta(ext) + `$`)
	quarantine = regexp.MustCompile(`^` + regexp.QuoteMeta(l.ErrorPrefix) + hourRE + shardRE + `-` + seqRE +
		`(?:-(\d+))?\.json$`)
	return record, batch, quarantine
}

// checkHour verifies that the key's hour partition is a real UTC hour within [Since's hour, now].
func (c *Checker) checkHour(key string, parts []string, rep *Report) {
	y, _ := strconv.Atoi(parts[0])
	mo, _ := strconv.Atoi(parts[1])
	d, _ := strconv.Atoi(parts[2])
	h, _ := strconv.Atoi(parts[3])
	t := time.Date(y, time.Month(mo), d, h, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d || t.Hour() != h {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: no such hour", key))
		return
	}
	if !c.Since.IsZero() && (t.Before(c.Since.UTC().Truncate(time.Hour)) || t.After(time.Now().UTC())) {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: hour partition outside %s–now", key, c.Since.UTC().Format(time.RFC3339)))
	}
}

// sameETag reports that a record-mode object's ETag, as listed, is the MD5 of the record its key names, and returns
// the record: the object then holds exactly the record's bytes, and need not be read. S3 (and fauxqs) give a
// single-part object without SSE-KMS the MD5 of its bytes as its ETag; any other object is read. This is what lets
// a check of a bucket of hundreds of thousands of record-mode objects finish in seconds.
func (c *Checker) sameETag(o Object, m *matcher) (Expect, bool) {
	if c.layout.OutputMode != "record" || o.etag == "" {
		return Expect{}, false
	}
	parts := c.recordKey.FindStringSubmatch(o.Key)
	if parts == nil {
		return Expect{}, false
	}
	sub := -1
	if parts[2] != "" {
		sub, _ = strconv.Atoi(parts[2])
	}
	e, ok := m.bySeq(parts[1], sub)
	if !ok || e.Quarantine {
		return Expect{}, false
	}
	sum := md5.Sum(e.Data)
	return e, o.etag == `"`+hex.EncodeToString(sum[:])+`"`
}

func (c *Checker) checkRecord(o *Object, body []byte, m *matcher, rep *Report) {
	o.FirstLine = body
	parts := c.recordKey.FindStringSubmatch(o.Key)
	if parts == nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: not a record-mode key", o.Key))
		return
	}
	sub := -1
	if parts[2] != "" {
		sub, _ = strconv.Atoi(parts[2])
	}
	e, ok := m.bySeq(parts[1], sub)
	switch {
	case !ok:
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: no such record was put", o.Key))
	case e.Quarantine:
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: record %s should have been quarantined", o.Key, e.id()))
	case !bytes.Equal(body, e.Data):
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: body %q differs from the record's data %q", o.Key, clip(body), clip(e.Data)))
	default:
		if m.take(e, o) {
			rep.Written++
		}
	}
}

func (c *Checker) checkBatch(o *Object, body []byte, m *matcher, rep *Report) {
	parts := c.batchKey.FindStringSubmatch(o.Key)
	if parts == nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: not a batch-mode key (compression %s)", o.Key, c.layout.Compression))
		return
	}
	c.checkHour(o.Key, parts[1:5], rep)
	shard, firstSeq := parts[5], parts[6]
	if len(body) == 0 || body[len(body)-1] != '\n' {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: empty, or the last line is not newline-terminated", o.Key))
		return
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	o.Lines, o.FirstLine = len(lines), lines[0]
	var prev Expect
	for i, line := range lines {
		e, ok, dup := m.byLine(shard, line, o.Key)
		switch {
		case dup:
			m.duplicates = append(m.duplicates, fmt.Sprintf("%s line %d (%s) again", o.Key, i+1, e.id()))
			continue
		case !ok:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s line %d: %q is no record put to %s, compacted", o.Key, i+1, clip(line), shard))
			continue
		}
		if i == 0 && e.SequenceNumber != firstSeq {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: named after %s but its first line is record %s", o.Key, firstSeq, e.id()))
		}
		if i > 0 && (seqnum.Compare(e.SequenceNumber, prev.SequenceNumber) < 0 ||
			e.SequenceNumber == prev.SequenceNumber && e.SubIndex < prev.SubIndex) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s line %d: record %s after %s, out of shard order", o.Key, i+1, e.id(), prev.id()))
		}
		prev = e
		o.Records = append(o.Records, e)
		rep.Written++
	}
}

// quarantined is the quarantine object's body, as the README documents it.
type quarantined struct {
	Reason         string `json:"reason"`
	ShardID        string `json:"shardId"`
	SequenceNumber string `json:"sequenceNumber"`
	SubIndex       *int   `json:"subIndex"`
	PartitionKey   string `json:"partitionKey"`
	Data           string `json:"data"`
}

func (c *Checker) checkQuarantine(o *Object, body []byte, m *matcher, rep *Report) {
	parts := c.quarantineKey.FindStringSubmatch(o.Key)
	if parts == nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: not a quarantine key", o.Key))
		return
	}
	c.checkHour(o.Key, parts[1:5], rep)
	sub := -1
	if parts[7] != "" {
		sub, _ = strconv.Atoi(parts[7])
	}
	var q quarantined
	if err := json.Unmarshal(body, &q); err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: quarantine body is not JSON: %v", o.Key, err))
		return
	}
	o.Reason = q.Reason
	data, err := base64.StdEncoding.DecodeString(q.Data)
	qsub := -1
	if q.SubIndex != nil {
		qsub = *q.SubIndex
	}
	e, ok := m.byID(parts[5], parts[6], sub)
	switch {
	case !ok:
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: no such record was put", o.Key))
	case !e.Quarantine:
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: valid record %s was quarantined (%s)", o.Key, e.id(), q.Reason))
	case q.ShardID != e.ShardID || q.SequenceNumber != e.SequenceNumber || qsub != e.SubIndex:
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: body names %s/%s sub %d", o.Key, q.ShardID, q.SequenceNumber, qsub))
	case err != nil || !bytes.Equal(data, e.Data):
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: data %q is not the record's %q", o.Key, clip(data), clip(e.Data)))
	case q.Reason == "" || !strings.Contains(q.Reason, e.Reason):
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: reason %q does not say %q", o.Key, q.Reason, e.Reason))
	default:
		if m.take(e, o) {
			rep.Quarantined++
		}
	}
}

// matcher indexes the expected records for one check.
type matcher struct {
	ids        map[string]Expect
	seqs       map[string][]Expect // sequence number (and sub index) -> records, for record-mode keys
	lines      map[string][]Expect // shard + compacted data -> valid records, in the order given
	found      map[string]int
	where      map[string][]string // record → keys of the objects it was found in
	duplicates []string
}

func newMatcher(want []Expect) *matcher {
	m := &matcher{ids: map[string]Expect{}, seqs: map[string][]Expect{}, lines: map[string][]Expect{}, found: map[string]int{},
		where: map[string][]string{}}
	for _, e := range want {
		m.ids[e.id()] = e
		k := e.SequenceNumber + "#" + strconv.Itoa(e.SubIndex)
		m.seqs[k] = append(m.seqs[k], e)
		if !e.Quarantine {
			var buf bytes.Buffer
			if json.Compact(&buf, e.Data) == nil {
				lk := e.ShardID + "\x00" + buf.String()
				m.lines[lk] = append(m.lines[lk], e)
			}
		}
	}
	return m
}

// take counts e as found in o and reports whether it is the first time; a second time is a duplicate.
func (m *matcher) take(e Expect, o *Object) bool {
	m.found[e.id()]++
	m.where[e.id()] = append(m.where[e.id()], o.Key)
	if m.found[e.id()] > 1 {
		m.duplicates = append(m.duplicates, e.id()+" again in "+o.Key)
		return false
	}
	o.Records = append(o.Records, e)
	return true
}

func (m *matcher) byID(shard, seq string, sub int) (Expect, bool) {
	e, ok := m.ids[Expect{ShardID: shard, SequenceNumber: seq, SubIndex: sub}.id()]
	return e, ok
}

// bySeq finds a record by sequence number alone, as record-mode keys name it; a number put to two shards
// (which Kinesis never hands out) does not match.
func (m *matcher) bySeq(seq string, sub int) (Expect, bool) {
	es := m.seqs[seq+"#"+strconv.Itoa(sub)]
	if len(es) != 1 {
		return Expect{}, false
	}
	return es[0], true
}

// byLine finds the next not yet found record of the shard whose compacted data is line, in the object named key.
// Records with equal data are taken in the order given; dup reports a line beyond their number.
func (m *matcher) byLine(shard string, line []byte, key string) (e Expect, ok, dup bool) {
	es := m.lines[shard+"\x00"+string(line)]
	for _, e := range es {
		if m.found[e.id()] == 0 {
			m.found[e.id()]++
			m.where[e.id()] = append(m.where[e.id()], key)
			return e, true, false
		}
	}
	if len(es) > 0 {
		m.where[es[0].id()] = append(m.where[es[0].id()], key)
		return es[0], false, true
	}
	return Expect{}, false, false
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
