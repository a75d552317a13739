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
	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
)

// S3 is the part of *s3.Client the checker reads the bucket with.
type S3 interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Layout is the function's output configuration (OUTPUT_MODE, COMPRESSION, KEY_PREFIX, ERROR_PREFIX, and the
// analytics settings).
type Layout struct {
	OutputMode  string // "record" or "batch"
	Compression string // "gzip", "zstd" or "none" (batch mode); "snappy" too with Format "parquet"
	KeyPrefix   string
	ErrorPrefix string
	// Format is FORMAT ("jsonl" when empty, or "parquet"); SchemaFile the file SCHEMA was read from; Transform,
	// TimeField and PartitionKeys as the variables have them. Empty means unset.
	Format, SchemaFile, Transform, TimeField, PartitionKeys string
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
	// Record is the Kinesis record's data when it is not Data: the KPL aggregate of a user record, which its
	// quarantine object carries whole.
	Record []byte
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
	Dropped     int // dropped by the transform (jq's empty), so rightly nowhere
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
	shape                              *shaper // nil without analytics settings
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
	if layout.OutputMode == "batch" && !slices.Contains([]string{"gzip", "zstd", "none"}, layout.Compression) &&
		(layout.Compression != "snappy" || layout.Format != "parquet") {
		return nil, fmt.Errorf("ledger: compression %q is not gzip, zstd or none (or snappy for Parquet)", layout.Compression)
	}
	if !slices.Contains([]string{"", "jsonl", "parquet"}, layout.Format) {
		return nil, fmt.Errorf("ledger: format %q is not jsonl or parquet", layout.Format)
	}
	if layout.ErrorPrefix == "" || config.PrefixesOverlap(layout.KeyPrefix, layout.ErrorPrefix) {
		return nil, fmt.Errorf("ledger: error prefix %q must be set and lie outside the key prefix", layout.ErrorPrefix)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("ledger: zstd: %w", err)
	}
	c := &Checker{api: api, bucket: bucket, layout: layout, cache: map[string]cached{}, zstd: dec}
	c.recordKey, c.batchKey, c.quarantineKey = keyPatterns(layout)
	if layout.shaped() {
		if c.shape, err = newShaper(layout); err != nil {
			dec.Close()
			return nil, err
		}
	}
	return c, nil
}

// Close releases the zstd decoder.
func (c *Checker) Close() { c.zstd.Close() }

// Check reads the bucket and matches it against want. It returns an error only when the bucket cannot be read;
// what is wrong with its content is in the Report.
func (c *Checker) Check(ctx context.Context, want []Expect) (Report, error) {
	m := newMatcher(want, c.shape)
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
		switch {
		case m.dropped[e.id()]:
			rep.Dropped++
		case m.found[e.id()] == 0:
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
	if c.layout.Format == "parquet" {
		return b, nil // compressed page by page
	}
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

// keyPatterns compiles the three key patterns for a layout. The batch pattern's first group is the
// PARTITION_KEYS levels.
func keyPatterns(l Layout) (record, batch, quarantine *regexp.Regexp) {
	ext := `\.jsonl` + regexp.QuoteMeta(map[string]string{"gzip": ".gz", "zstd": ".zst", "none": ""}[l.Compression])
	if l.Format == "parquet" {
		ext = `\.parquet`
	}
	levels := ""
	for pair := range strings.SplitSeq(l.PartitionKeys, ",") {
		if name, _, _ := strings.Cut(pair, "="); name != "" {
			levels += regexp.QuoteMeta(name) + `=` + layout.ValuePattern + `/`
		}
	}
	record = regexp.MustCompile(`^` + regexp.QuoteMeta(l.KeyPrefix) + seqRE + `(?:-(\d+))?\.json$`)
	batch = regexp.MustCompile(`^` + regexp.QuoteMeta(l.KeyPrefix) + `(` + levels + `)` + hourRE + shardRE + `-` + seqRE +
		ext + `$`)
	quarantine = regexp.MustCompile(`^` + regexp.QuoteMeta(l.ErrorPrefix) + hourRE + shardRE + `-` + seqRE +
		`(?:-(\d+))?\.json$`)
	return record, batch, quarantine
}

// checkHour verifies that the key's hour partition is a real UTC hour and, for an arrival hour, that it lies
// within [Since's hour, now]. It returns the hour.
func (c *Checker) checkHour(key string, parts []string, arrival bool, rep *Report) time.Time {
	y, _ := strconv.Atoi(parts[0])
	mo, _ := strconv.Atoi(parts[1])
	d, _ := strconv.Atoi(parts[2])
	h, _ := strconv.Atoi(parts[3])
	t := time.Date(y, time.Month(mo), d, h, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d || t.Hour() != h {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: no such hour", key))
		return t
	}
	if arrival && !c.Since.IsZero() && (t.Before(c.Since.UTC().Truncate(time.Hour)) || t.After(time.Now().UTC())) {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: hour partition outside %s–now", key, c.Since.UTC().Format(time.RFC3339)))
	}
	return t
}

// sameETag reports that a record-mode object's ETag, as listed, is the MD5 of the record its key names, and returns
// the record: the object then holds exactly the record's bytes, and need not be read. S3 (and fauxqs) give a
// single-part object without SSE-KMS the MD5 of its bytes as its ETag; any other object is read. This is what lets
// a check of a bucket of hundreds of thousands of record-mode objects finish in seconds. With a transform, the
// object holds the transform's output, and is read.
func (c *Checker) sameETag(o Object, m *matcher) (Expect, bool) {
	if c.layout.OutputMode != "record" || o.etag == "" || (c.shape != nil && c.shape.transform != nil) {
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
	case m.dropped[e.id()]:
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: record %s should have been dropped by the transform", o.Key, e.id()))
	case c.shape != nil && c.shape.transform != nil && jsonCanonical(body) != canonical(m.outcomes[e.id()].value, nil):
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: body %q is not the transform's output for %q", o.Key, clip(body), clip(e.Data)))
	case (c.shape == nil || c.shape.transform == nil) && !bytes.Equal(body, e.Data):
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: body %q differs from the record's data %q", o.Key, clip(body), clip(e.Data)))
	default:
		if m.take(e, o) {
			rep.Written++
		}
	}
}

// jsonCanonical is a JSON text's canonical JSON (see canonical), or a text no record has when it is not JSON.
func jsonCanonical(b []byte) string {
	v, err := decodeNumbers(b)
	if err != nil {
		return "not JSON: " + err.Error()
	}
	return canonical(v, nil)
}

func (c *Checker) checkBatch(o *Object, body []byte, m *matcher, rep *Report) {
	parts := c.batchKey.FindStringSubmatch(o.Key)
	if parts == nil {
		what := "compression " + c.layout.Compression
		if c.layout.Format == "parquet" {
			what = "Parquet"
		}
		if c.layout.PartitionKeys != "" {
			what += ", partition keys " + c.layout.PartitionKeys
		}
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: not a batch-mode key (%s)", o.Key, what))
		return
	}
	levels, shard, firstSeq := parts[1], parts[6], parts[7]
	// items are the lines (canonical JSON when shaped), or the Parquet rows as canonical JSON.
	var items []string
	if c.layout.Format == "parquet" {
		rows, sch, err := parquetRows(body)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: not Parquet: %v", o.Key, err))
			return
		}
		if len(rows) == 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: no rows", o.Key))
			return
		}
		if err := m.index(sch); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", o.Key, err))
			return
		}
		items, o.FirstLine = rows, []byte(rows[0])
	} else {
		if len(body) == 0 || body[len(body)-1] != '\n' {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: empty, or the last line is not newline-terminated", o.Key))
			return
		}
		lines := bytes.Split(body[:len(body)-1], []byte("\n"))
		o.FirstLine = lines[0]
		_ = m.index(nil)
		for _, line := range lines {
			if c.shape != nil {
				items = append(items, jsonCanonical(line))
			} else {
				items = append(items, string(line))
			}
		}
	}
	o.Lines = len(items)
	var prev Expect
	arrival := c.shape == nil || c.shape.timeField == nil
	hour := c.checkHour(o.Key, parts[2:6], false, rep)
	for i, item := range items {
		e, ok, dup := m.byLine(shard, item, o.Key)
		switch {
		case dup:
			m.duplicates = append(m.duplicates, fmt.Sprintf("%s line %d (%s) again", o.Key, i+1, e.id()))
			continue
		case !ok:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s line %d: %q is no record put to %s, compacted", o.Key, i+1, clip([]byte(item)), shard))
			continue
		}
		if i == 0 && e.SequenceNumber != firstSeq {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: named after %s but its first line is record %s", o.Key, firstSeq, e.id()))
		}
		if i > 0 && (seqnum.Compare(e.SequenceNumber, prev.SequenceNumber) < 0 ||
			e.SequenceNumber == prev.SequenceNumber && e.SubIndex < prev.SubIndex) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s line %d: record %s after %s, out of shard order", o.Key, i+1, e.id(), prev.id()))
		}
		if out, shaped := m.outcomes[e.id()]; shaped {
			if out.levels != levels {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s line %d: record %s belongs under %q", o.Key, i+1, e.id(), out.levels))
			}
			if out.timed && !out.hour.Equal(hour) {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s line %d: record %s has its event time in hour %s", o.Key, i+1, e.id(), out.hour.Format(time.RFC3339)))
			}
			arrival = arrival || !out.timed
		}
		prev = e
		o.Records = append(o.Records, e)
		rep.Written++
	}
	if arrival {
		c.checkHour(o.Key, parts[2:6], true, rep)
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
	// Invalid lists the invalid user records of a KPL aggregate whose other user records were written.
	Invalid []struct {
		SubIndex int    `json:"subIndex"`
		Reason   string `json:"reason"`
	} `json:"invalid"`
}

func (c *Checker) checkQuarantine(o *Object, body []byte, m *matcher, rep *Report) {
	parts := c.quarantineKey.FindStringSubmatch(o.Key)
	if parts == nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: not a quarantine key", o.Key))
		return
	}
	c.checkHour(o.Key, parts[1:5], true, rep)
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
	if err != nil {
		data = nil
	}
	if q.ShardID != parts[5] || q.SequenceNumber != parts[6] {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: body names %s/%s", o.Key, q.ShardID, q.SequenceNumber))
		return
	}
	if len(q.Invalid) > 0 {
		for _, inv := range q.Invalid {
			c.quarantinedOnce(o, m, rep, parts[5], parts[6], inv.SubIndex, data, inv.Reason)
		}
		return
	}
	if q.SubIndex != nil {
		sub = *q.SubIndex
	}
	c.quarantinedOnce(o, m, rep, parts[5], parts[6], sub, data, q.Reason)
}

// quarantinedOnce checks that user record sub of a record found in quarantine object o (whose data is data) was
// to be quarantined for reason, and counts it.
func (c *Checker) quarantinedOnce(o *Object, m *matcher, rep *Report, shard, seq string, sub int, data []byte, reason string) {
	e, ok := m.byID(shard, seq, sub)
	if !ok {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: no such record %s/%s sub %d was put", o.Key, shard, seq, sub))
		return
	}
	record := e.Record
	if record == nil {
		record = e.Data
	}
	// MAX_PARTITIONS quarantines the valid user records of an aggregate that alone holds more partitions.
	tooManyPartitions := c.shape != nil && strings.Contains(reason, "MAX_PARTITIONS") && !m.dropped[e.id()]
	switch {
	case !e.Quarantine && !tooManyPartitions:
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: valid record %s was quarantined (%s)", o.Key, e.id(), reason))
	case !bytes.Equal(data, record):
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: data %q is not the record's %q", o.Key, clip(data), clip(record)))
	case reason == "" || !strings.Contains(reason, e.Reason):
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: reason %q does not say %q", o.Key, reason, e.Reason))
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
	lines      map[string][]Expect // shard + line -> valid records, in the order given
	found      map[string]int
	where      map[string][]string // record → keys of the objects it was found in
	duplicates []string

	// With analytics settings: each record's predicted outcome, the records the transform drops, and the valid
	// records, whose lines (canonical JSON) index once the Parquet schema of the objects is known.
	outcomes  map[string]outcome
	dropped   map[string]bool
	valid     []Expect
	indexedAs string
}

func newMatcher(want []Expect, sh *shaper) *matcher {
	m := &matcher{ids: map[string]Expect{}, seqs: map[string][]Expect{}, lines: map[string][]Expect{}, found: map[string]int{},
		where: map[string][]string{}, outcomes: map[string]outcome{}, dropped: map[string]bool{}}
	for _, e := range want {
		if sh != nil && !e.Quarantine {
			out := sh.shape(e.Data)
			m.outcomes[e.id()] = out
			m.dropped[e.id()] = out.drop
			if out.reason != "" {
				e.Quarantine, e.Reason = true, out.reason
			}
		}
		m.ids[e.id()] = e
		k := e.SequenceNumber + "#" + strconv.Itoa(e.SubIndex)
		m.seqs[k] = append(m.seqs[k], e)
		switch {
		case e.Quarantine || m.dropped[e.id()]:
		case sh != nil:
			m.valid = append(m.valid, e)
		default:
			var buf bytes.Buffer
			if json.Compact(&buf, e.Data) == nil {
				lk := e.ShardID + "\x00" + buf.String()
				m.lines[lk] = append(m.lines[lk], e)
			}
		}
	}
	if sh == nil {
		m.indexedAs = "json"
	}
	return m
}

// index makes the lines of the valid records under analytics settings, as canonical JSON of the values they are
// written with: JSON (sch nil) or the Parquet schema sch. Every object of a check must have the same schema.
func (m *matcher) index(sch *parquet.Schema) error {
	as := "json"
	if sch != nil {
		as = sch.String()
	}
	if m.indexedAs != "" {
		if m.indexedAs != as {
			return fmt.Errorf("its schema\n%s\nis not the other objects'\n%s", as, m.indexedAs)
		}
		return nil
	}
	m.indexedAs = as
	var n parquet.Node
	if sch != nil {
		n = sch
	}
	for _, e := range m.valid {
		lk := e.ShardID + "\x00" + canonical(m.outcomes[e.id()].value, n)
		m.lines[lk] = append(m.lines[lk], e)
	}
	return nil
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

// byLine finds the next not yet found record of the shard whose line is line, in the object named key. Records
// with equal lines are taken in the order given; dup reports a line beyond their number.
func (m *matcher) byLine(shard, line, key string) (e Expect, ok, dup bool) {
	es := m.lines[shard+"\x00"+line]
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
