// Package event decodes the Kinesis event Lambda invokes the function with, straight from the invocation's raw
// payload, into the aws-lambda-go records (events.KinesisEventRecord) that the handler's core takes.
//
// encoding/json decodes the event by reflection, one field and one allocation at a time, and base64-decodes each
// record's data into a slice of its own: on a batch of thousands of records that costs more than processing them.
// This decoder knows the one shape it reads. It reads the event quickly first, as Lambda writes it: each record's
// base64 data is decoded as soon as the record is read, while its bytes are in the cache, into one buffer (rarely a
// few) for the whole event, each record's Data a sub-slice of it; and a record that differs from the one before
// only in its own values is read by comparing the bytes between them (see shape.go). Should anything in the event
// not be as Lambda writes it, it reads it again exactly, in two passes: the first checks the JSON and notes where
// each record's values are; the second decodes the data. The strings unique to a record (event ID, sequence number,
// partition key) are copied into a buffer that they refer to. The strings every record of a batch shares (source
// ARN, region, event name, ...) are compared with the previous record's and copied only when they differ. Keys are
// compared, never copied.
// Nothing refers to the payload afterwards: the Lambda runtime reuses its buffer for the next invocation.
//
// It accepts what aws-lambda-go accepts (the runtime reads the event with an encoding/json Decoder into
// events.KinesisEvent) and gives the same records: unknown fields are skipped, keys match case-insensitively,
// strings are unescaped with invalid UTF-8 replaced, a missing or null Records is no records, and what follows the
// event in the payload is not read. What aws-lambda-go rejects it rejects with an error of the same Kind. A
// differential fuzz test holds the two together. Three inputs that Lambda never sends are refused (Unsupported) rather than
// imitated: a record's data as an array of numbers instead of base64, a second Records key, and more than
// MaxRecords records.
package event

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/function/jsoncompact"
)

// MaxRecords is the most records an event may hold: the largest batch size of a Kinesis event source mapping. It
// bounds what a hostile payload of empty records could make the decoder allocate.
const MaxRecords = 10_000

// Kind classifies why an event could not be decoded, as encoding/json's error types do.
type Kind int

const (
	Syntax      Kind = iota + 1 // not JSON (encoding/json: *json.SyntaxError)
	Type                        // a value of the wrong JSON type for its field (*json.UnmarshalTypeError)
	Data                        // a record's data is not base64 (base64.CorruptInputError)
	Unsupported                 // JSON that fits the event, in a form Lambda never sends (see the package doc)
)

func (k Kind) String() string {
	switch k {
	case Syntax:
		return "syntax error"
	case Type:
		return "type error"
	case Data:
		return "data error"
	case Unsupported:
		return "unsupported"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is why an event could not be decoded.
type Error struct {
	Kind   Kind
	Offset int    // byte offset in the event
	Msg    string // what is wrong, and where in the event's structure
	Err    error  // the underlying error, if any: *jsoncompact.SyntaxError, base64.CorruptInputError
}

func (e *Error) Error() string {
	return fmt.Sprintf("kinesis event: %s: %s (byte %d)", e.Kind, e.Msg, e.Offset)
}

func (e *Error) Unwrap() error { return e.Err }

// Decoder decodes Kinesis events. It keeps its working memory from one event to the next, so it is for one
// goroutine at a time. The records it returns belong to the caller, unless the caller hands them back (Release).
type Decoder struct {
	src     []byte
	recs    []pending                   // where the values of the records read so far are
	out     []events.KinesisEventRecord // the records read so far, which Decode returns
	table   []events.KinesisEventRecord // empty, every element zero up to its capacity: out for the next event
	lent    []events.KinesisEventRecord // the records Decode returned last, until Release takes them back
	side    []byte                      // the values of strings with escapes or invalid UTF-8, unquoted
	buf     []byte                      // reading quickly, the latest buffer of data (see decodeQuick)
	own     []byte                      // the latest buffer of the strings unique to each record (see keepOwn)
	decoded int                         // bytes of data decoded into buffers so far
	kept    int                         // bytes of strings kept in own so far
	first   int                         // the offset of the first record that is an object
	shape   shape                       // reading quickly, the shape of the last record read in full (see shape.go)
	reading shape                       // and of the record being read in full
	shaped  int                         // records read by their shape, in the last event read quickly
	shared  [nShared]sharedText
	records bool // a Records key was read
	quick   bool // reading quickly (see quickData)
	isArray bool // and it was an array (else null or an error): there are records, if maybe none

	// What encoding/json would report, were the event to stop here: syntax errors before everything else (it
	// checks the whole document first), then refusals of this decoder, then the first error of an arrival time
	// (its UnmarshalJSON method ends the decoding), then the first other error in the document.
	syntax, unsupported, abort, failed *Error
}

// pending is where the values of a record's data and of the strings unique to it are in the event, and which record
// of out it is.
type pending struct {
	data, id, seq, pk text
	index             int // in the event's Records
}

// text locates a string value: src[start:end], or side[start:end] once unquoted; at is its offset in the event.
type text struct {
	start, end, at int
	inSide, set    bool
}

// The fields whose value every record of a batch shares.
const (
	sharedRegion = iota
	sharedName
	sharedSource
	sharedSourceARN
	sharedVersion
	sharedIdentity
	sharedSchemaVersion
	sharedEncryption
	nShared
)

// sharedText is the last value of a shared field: its raw bytes and the string made of them.
type sharedText struct {
	raw []byte
	val string
	set bool
}

// Decode decodes a Kinesis event. It returns nil records for a missing or null Records, and an *Error for
// anything encoding/json would have rejected, or that this decoder refuses.
//
// It reads the event quickly first (see quickData) and, should that find anything wrong, reads it again exactly,
// so that the error is the one encoding/json would report.
func (d *Decoder) Decode(payload []byte) ([]events.KinesisEventRecord, error) {
	d.lent = nil // not handed back: they stay the caller's
	recs, err := d.decode(payload, true)
	if err != nil {
		recs, err = d.decode(payload, false)
	}
	if len(recs) > 0 {
		d.lent = recs
	}
	return recs, err
}

// Release hands back the records the last Decode returned, for the next event's to take their place rather than be
// allocated again: a table of thousands of records, which would otherwise add to what the garbage collector must
// keep up with on every event. The caller must hold no reference to them any more, nor to their slice: the next
// Decode overwrites them. Their strings and data are not reused, and remain valid.
//
// The table is cleared, so that it keeps nothing of the event alive, and kept only while it is not much larger
// than the events need (see emptied).
func (d *Decoder) Release() {
	if d.lent == nil {
		return
	}
	clear(d.lent) // beyond its length the table is zero already: records are only ever written below it
	d.table, d.lent = emptied(d.lent), nil
}

// emptied returns s emptied for the next event, or nil when it has room for more than four times what this event
// used (and a little): what one large event grew is not kept for every small one after it. What a decoder keeps is
// bounded anyway, by MaxRecords and by Lambda's payload limit.
func emptied[S ~[]E, E any](s S) S {
	if cap(s) > 4*len(s)+64 {
		return nil
	}
	return s[:0]
}

func (d *Decoder) decode(payload []byte, quick bool) (recs []events.KinesisEventRecord, err error) {
	d.src, d.recs, d.side, d.shared, d.records, d.isArray = payload, d.recs[:0], d.side[:0], [nShared]sharedText{}, false, false
	d.out, d.table = d.table, nil
	d.kept, d.shape, d.shaped = 0, shape{}, 0
	d.syntax, d.unsupported, d.abort, d.failed, d.quick = nil, nil, nil, nil, quick
	d.decoded, d.first = 0, -1
	defer func() { // keep no reference to the payload, or to the data of its records, failed ones included
		if len(recs) == 0 { // not lent: the table is kept for the next event (or the exact read of this one)
			clear(d.out)
			d.table = emptied(d.out)
		}
		d.recs, d.side = emptied(d.recs), emptied(d.side)
		d.src, d.out, d.buf, d.own, d.shared, d.shape, d.reading = nil, nil, nil, nil, [nShared]sharedText{}, shape{}, shape{}
	}()

	d.top()
	switch {
	case d.syntax != nil:
		return nil, d.syntax
	case d.unsupported != nil:
		return nil, d.unsupported
	case d.abort != nil:
		return nil, d.abort
	case d.failed != nil:
		return nil, d.firstError()
	case !d.isArray:
		return nil, nil
	}
	return d.finish()
}

// top reads the event.
func (d *Decoder) top() {
	i := d.space(0)
	switch {
	case i < len(d.src) && d.src[i] == '{':
		i = d.object(i, 0, levelEvent, nil)
	case d.isNull(i):
		i += 4 // no event: no records
	default:
		d.other(i, 0, "the event", "an object")
	}
	// What follows the event is not read, as the runtime's json.Decoder does not read it.
}

// Levels of the document, for object.
const (
	levelEvent = iota
	levelRecord
	levelKinesis
)

// object reads the object whose '{' is at src[i], nested in depth containers, and returns the offset past it (or
// anything, once a syntax error is found). p is the record its members go into, below the event level.
func (d *Decoder) object(i, depth, level int, p *pending) int {
	i = d.space(i + 1)
	if i < len(d.src) && d.src[i] == '}' {
		return i + 1
	}
	order := keyOrder[level]
	for next := 0; d.syntax == nil; next++ {
		if i >= len(d.src) || d.src[i] != '"' {
			return d.expected(i, "a string for an object key")
		}
		var key, want = []byte(nil), ""
		if next < len(order) {
			want = order[next]
		}
		end := i + len(want) + 2
		if want != "" && end <= len(d.src) && d.src[end-1] == '"' && string(d.src[i+1:end-1]) == want {
			key = d.src[i+1 : end-1] // the key that comes next in Lambda's events: no backslash, so it ends there
		} else {
			var escaped bool
			var err error
			if end, escaped, err = jsoncompact.ScanString(d.src, i); err != nil {
				d.syntaxError(err, "")
				return i
			}
			key = d.src[i+1 : end-1]
			if escaped {
				key = appendUnquoted(nil, key)
			}
		}
		if i = d.space(end); i >= len(d.src) || d.src[i] != ':' {
			return d.expected(i, "':' after an object key")
		}
		v := d.space(i + 1)
		switch level {
		case levelEvent:
			i = d.eventMember(key, v, depth+1)
		case levelRecord:
			i = d.recordMember(key, v, depth+1, p)
		default:
			i = d.kinesisMember(key, v, depth+1, p)
		}
		var done bool
		if i, done = d.next(i, '}'); done {
			return i
		}
	}
	return i
}

// next reads what follows a member or an element, from src[i]: a comma (more to come) or the closing byte (done),
// and returns the offset of what comes after it. It is done at once after a syntax error.
func (d *Decoder) next(i int, closing byte) (int, bool) {
	if d.syntax != nil {
		return i, true
	}
	switch i = d.space(i); {
	case i < len(d.src) && d.src[i] == ',':
		return d.space(i + 1), false
	case i < len(d.src) && d.src[i] == closing:
		return i + 1, true
	}
	return d.expected(i, fmt.Sprintf("',' or '%c'", closing)), true
}

// eventMember reads the value at src[v] of the event's member key.
func (d *Decoder) eventMember(key []byte, v, depth int) int {
	if !matches(key, "Records") {
		return d.skip(v, depth)
	}
	if d.records {
		d.refuse(v, "a second Records key")
		return d.skip(v, depth)
	}
	d.records = true
	switch {
	case v < len(d.src) && d.src[v] == '[':
		return d.array(v, depth)
	case d.isNull(v):
		return v + 4
	}
	return d.other(v, depth, "Records", "an array")
}

// array reads the Records array at src[v].
func (d *Decoder) array(v, depth int) int {
	d.isArray = true // an empty array is no records, where a missing one is nil
	i := d.space(v + 1)
	if i < len(d.src) && d.src[i] == ']' {
		return i + 1
	}
	for d.syntax == nil {
		switch {
		case len(d.recs) == MaxRecords:
			d.refuse(i, fmt.Sprintf("more than %d records", MaxRecords))
			i = d.skip(i, depth+1) // reading on for syntax errors, which come first
		case i < len(d.src) && d.src[i] == '{':
			p := d.add()
			if d.first < 0 {
				d.first = i
			}
			if end, ok := d.readShaped(i, p); ok {
				i = end
			} else {
				d.reading = shape{start: i, index: p.index}
				i = d.object(i, depth+1, levelRecord, p)
				if d.reading.end = i; d.reading.whole() {
					d.shape = d.reading
					d.shape.noteIDPrefix(d.src)
				}
			}
			if d.quick && d.syntax == nil && p.data.set {
				d.decodeQuick(p, i)
			}
			d.keepOwn(p, i)
			if len(d.out) == 1 { // room for as many records as the rest of the event holds, if they are like this one
				d.out = slices.Grow(d.out, min(MaxRecords, d.guess(1, i)+8))
			}
		case d.isNull(i):
			d.add() // a null record is an empty one
			i += 4
		default:
			i = d.other(i, depth+1, d.where(d.add(), "record"), "an object")
		}
		var done bool
		if i, done = d.next(i, ']'); done {
			return i
		}
	}
	return i
}

// add appends an empty record and returns it.
func (d *Decoder) add() *pending {
	d.recs = append(d.recs, pending{index: len(d.recs)})
	if len(d.out) < cap(d.out) {
		d.out = d.out[:len(d.out)+1] // zero already (see table)
	} else {
		d.out = append(d.out, events.KinesisEventRecord{})
	}
	return &d.recs[len(d.recs)-1]
}

// guess is how much of something the rest of the event, from src[end], holds, of which the records read so far,
// from the first to src[end], hold soFar; with a little to spare. The event's buffers are sized with it: one that
// proves too small is followed by another for the rest.
func (d *Decoder) guess(soFar, end int) int {
	rest := int64(len(d.src) - end)
	g := rest * int64(soFar) / int64(end-d.first)
	return int(min(g+g/32, rest)) // nothing the rest holds outnumbers its bytes
}

// recordFields are the fields of a record, in events.KinesisEventRecord; kinesisFields those of its "kinesis". Both
// are in the order Lambda writes them, which object tries first.
var (
	recordFields  = []string{"kinesis", "eventSource", "eventVersion", "eventID", "eventName", "invokeIdentityArn", "awsRegion", "eventSourceARN"}
	kinesisFields = []string{"kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data", "approximateArrivalTimestamp", "encryptionType"}
	keyOrder      = [...][]string{levelEvent: {"Records"}, levelRecord: recordFields, levelKinesis: kinesisFields}
)

func (d *Decoder) recordMember(key []byte, v, depth int, p *pending) int {
	r := &d.out[p.index]
	switch string(key) {
	case "kinesis":
		switch {
		case v < len(d.src) && d.src[v] == '{':
			return d.object(v, depth, levelKinesis, p)
		case d.isNull(v):
			return v + 4
		}
		return d.other(v, depth, d.where(p, "kinesis"), "an object")
	case "eventSource":
		return d.sharedString(v, depth, p, "eventSource", sharedSource, &r.EventSource)
	case "eventVersion":
		return d.sharedString(v, depth, p, "eventVersion", sharedVersion, &r.EventVersion)
	case "eventID":
		return d.ownString(v, depth, p, "eventID", holeID, &p.id)
	case "eventName":
		return d.sharedString(v, depth, p, "eventName", sharedName, &r.EventName)
	case "invokeIdentityArn":
		return d.sharedString(v, depth, p, "invokeIdentityArn", sharedIdentity, &r.InvokeIdentityArn)
	case "awsRegion":
		return d.sharedString(v, depth, p, "awsRegion", sharedRegion, &r.AwsRegion)
	case "eventSourceARN":
		return d.sharedString(v, depth, p, "eventSourceARN", sharedSourceARN, &r.EventSourceArn)
	}
	if name := folded(key, recordFields); name != "" {
		return d.recordMember([]byte(name), v, depth, p)
	}
	return d.skip(v, depth)
}

func (d *Decoder) kinesisMember(key []byte, v, depth int, p *pending) int {
	k := &d.out[p.index].Kinesis
	switch string(key) {
	case "kinesisSchemaVersion":
		return d.sharedString(v, depth, p, "kinesis.kinesisSchemaVersion", sharedSchemaVersion, &k.KinesisSchemaVersion)
	case "partitionKey":
		return d.ownString(v, depth, p, "kinesis.partitionKey", holePartitionKey, &p.pk)
	case "sequenceNumber":
		return d.ownString(v, depth, p, "kinesis.sequenceNumber", holeSequenceNumber, &p.seq)
	case "data":
		return d.data(v, depth, p)
	case "approximateArrivalTimestamp":
		return d.arrival(v, depth, p)
	case "encryptionType":
		return d.sharedString(v, depth, p, "kinesis.encryptionType", sharedEncryption, &k.EncryptionType)
	}
	if name := folded(key, kinesisFields); name != "" {
		return d.kinesisMember([]byte(name), v, depth, p)
	}
	return d.skip(v, depth)
}

// str reads the string at src[v]: its raw bytes between the quotes, whether they hold escapes, and the offset past
// it. ok is false when the value is not a string (what null means is up to the caller); after a syntax error
// everything is zero. Raw bytes without escapes need unquoting only if they are not valid UTF-8.
func (d *Decoder) str(v int) (raw []byte, escaped bool, end int, ok bool) {
	if v >= len(d.src) || d.src[v] != '"' {
		return nil, false, 0, false
	}
	end, escaped, err := jsoncompact.ScanString(d.src, v)
	if err != nil {
		d.syntaxError(err, "")
		return nil, false, 0, false
	}
	return d.src[v+1 : end-1], escaped, end, true
}

// ownString reads a string unique to the record into t. A null leaves it as it was, as encoding/json does.
func (d *Decoder) ownString(v, depth int, p *pending, name string, kind int, t *text) int {
	if end, ok := jsoncompact.ASCIIString(d.src, v); ok { // valid UTF-8 without escapes: its value is where it is
		*t = text{start: v + 1, end: end - 1, at: v, set: true}
		d.hole(kind, v, end)
		return end
	}
	d.notHole()
	raw, escaped, end, ok := d.str(v)
	if !ok {
		return d.notString(v, depth, p, name)
	}
	*t = d.locate(v, raw, escaped || !utf8.Valid(raw))
	return end
}

// locate returns where the value of the string at src[v], whose raw bytes are raw, is: in place, or unquoted into
// side.
func (d *Decoder) locate(v int, raw []byte, unquote bool) text {
	if !unquote {
		start := v + 1
		return text{start: start, end: start + len(raw), at: v, set: true}
	}
	start := len(d.side)
	d.side = appendUnquoted(d.side, raw)
	return text{start: start, end: len(d.side), at: v, inSide: true, set: true}
}

// sharedString reads a string field that records of a batch share into *dst, reusing the previous record's string
// when the raw bytes are the same.
func (d *Decoder) sharedString(v, depth int, p *pending, name string, which int, dst *string) int {
	s := &d.shared[which]
	// The previous record's string, valid JSON, again: then it ends at the quote after it (its last backslash, if
	// any, is not left open), and need not be scanned.
	if n := len(s.raw); s.set && v+n+1 < len(d.src) && d.src[v] == '"' && d.src[v+n+1] == '"' && bytes.Equal(d.src[v+1:v+n+1], s.raw) {
		*dst = s.val
		return v + n + 2
	}
	raw, escaped, end, ok := d.str(v)
	if !ok {
		return d.notString(v, depth, p, name)
	}
	if !s.set || !bytes.Equal(raw, s.raw) {
		s.raw, s.set = raw, true
		if escaped || !utf8.Valid(raw) {
			s.val = string(appendUnquoted(nil, raw))
		} else {
			s.val = string(raw)
		}
	}
	*dst = s.val
	return end
}

// notString handles a string field whose value at src[v] is not a string: null changes nothing, anything else is
// a type error.
func (d *Decoder) notString(v, depth int, p *pending, name string) int {
	if d.syntax != nil {
		return v
	}
	if d.isNull(v) {
		return v + 4
	}
	return d.other(v, depth, d.where(p, name), "a string")
}

// data reads a record's base64 data. Read exactly, only its place is noted: the second pass decodes it, into the
// event's buffer. A null makes it nil again. Data that is not valid UTF-8 is not base64 either: it need not be
// unquoted to fail alike.
func (d *Decoder) data(v, depth int, p *pending) int {
	if d.quick {
		return d.quickData(v, p)
	}
	raw, escaped, end, ok := d.str(v)
	switch {
	case ok:
		if p.data.set {
			d.checkData(p, p.data) // overwritten: its error would still count
		}
		p.data = d.locate(v, raw, escaped)
		return end
	case d.syntax != nil:
		return v
	case d.isNull(v):
		p.data = text{}
		return v + 4
	case v < len(d.src) && d.src[v] == '[':
		d.refuse(v, d.where(p, "kinesis.data")+" is an array of numbers, not base64")
		return d.skip(v, depth)
	}
	return d.other(v, depth, d.where(p, "kinesis.data"), "a base64 string")
}

// quickData reads a record's data as Lambda writes it, base64 in a string without escapes: it takes the string to
// end at the next quote, and decodeQuick decodes what is before it once the record is read. If that is base64 with
// no line break (which the base64 decoder would skip: then it decodes to less than quickLen), it holds no
// backslash, no byte that a JSON string may not hold as it is and no invalid UTF-8: the string ends there and its
// value is those bytes. Anything else, null and a second data key included, ends the quick read: Decode reads the
// event again exactly.
func (d *Decoder) quickData(v int, p *pending) int {
	if p.data.set || v >= len(d.src) || d.src[v] != '"' {
		return d.quit(v)
	}
	n := bytes.IndexByte(d.src[v+1:], '"')
	if n < 0 {
		return d.quit(v)
	}
	p.data = text{start: v + 1, end: v + 1 + n, at: v, set: true}
	d.hole(holeData, v, v+n+2)
	return v + n + 2
}

// decodeQuick decodes the data of record p, which ends at src[end], while its bytes are still in the cache, into
// the event's buffer. The buffer is sized for the data of the rest of the event, judged from the records read so
// far, with some room to spare: should the rest hold more, the records from there on have their data in another.
func (d *Decoder) decodeQuick(p *pending, end int) {
	raw := d.bytesOf(p.data)
	size, ok := quickLen(raw)
	if !ok {
		d.quit(p.data.at)
		return
	}
	if size > cap(d.buf)-len(d.buf) || d.buf == nil { // no more than the rest of the event can hold (empty data is not nil)
		d.buf = uninitialized(size + min(d.guess(d.decoded+size, end)+4096, (len(d.src)-end)/4*3+3))[:0]
	}
	// All of buf's room is given: the decoder may store a few bytes past what it decodes.
	off := len(d.buf)
	if n, err := quickBase64(d.buf[off:cap(d.buf)], raw); err != nil || n != size {
		d.quit(p.data.at)
		return
	}
	d.buf = d.buf[:off+size]
	d.decoded += size
	d.out[p.index].Kinesis.Data = d.buf[off : off+size : off+size]
}

// errQuick ends a quick read that meets what it does not read: Decode reads the event again exactly.
var errQuick = &Error{Kind: Unsupported, Msg: "not read quickly"}

// quit ends the quick read at src[v].
func (d *Decoder) quit(v int) int {
	d.fail(&d.syntax, errQuick)
	return v
}

// uninitialized returns n bytes whose values are undefined, for a buffer that is written before it is read: make
// would clear them first, which for an event's data costs about as much as decoding it. strings.Builder allocates
// its buffer without clearing it; of it, only the byte past the string's end and on are used, which no string holds.
func uninitialized(n int) []byte {
	var b strings.Builder
	b.Grow(n + 1)
	b.WriteByte(0)
	return unsafe.Slice(unsafe.StringData(b.String()), n+1)[1:]
}

// checkData saves the error of data t of p, if it is not base64.
func (d *Decoder) checkData(p *pending, t text) {
	raw := d.bytesOf(t)
	scratch := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	if _, err := base64.StdEncoding.Decode(scratch, raw); err != nil {
		d.save(d.dataError(p, t, err))
	}
}

func (d *Decoder) dataError(p *pending, t text, err error) *Error {
	return &Error{Kind: Data, Offset: t.at, Msg: d.where(p, "kinesis.data") + " is not base64: " + err.Error(), Err: err}
}

// arrival reads approximateArrivalTimestamp: Unix seconds, as a number with or without a fraction.
func (d *Decoder) arrival(v, depth int, p *pending) int {
	t := &d.out[p.index].Kinesis.ApproximateArrivalTimestamp
	if f, end, ok := quickSeconds(d.src, v); ok {
		t.Time = epochSeconds(f)
		d.hole(holeArrival, v, end)
		return end
	}
	d.notHole()
	if d.isNull(v) {
		t.Time = time.Unix(0, 0) // aws-lambda-go reads null as 0 seconds
		return v + 4
	}
	end, err := jsoncompact.ScanValue(d.src, v, depth)
	if err != nil {
		d.syntaxError(err, "")
		return v
	}
	// Every problem here is one that ends encoding/json's decoding: it comes from an UnmarshalJSON method.
	const name = "kinesis.approximateArrivalTimestamp"
	if c := d.src[v]; c != '-' && (c < '0' || c > '9') {
		d.fail(&d.abort, &Error{Kind: Type, Offset: v, Msg: d.where(p, name) + " is " + kindOf(c) + ", not a number"})
		return end
	}
	// A view, not a copy: strconv keeps a clone of its input in the errors it returns.
	f, err := strconv.ParseFloat(unsafe.String(&d.src[v], end-v), 64)
	if err != nil {
		d.fail(&d.abort, &Error{Kind: Type, Offset: v, Msg: d.where(p, name) + ": " + err.Error(), Err: err})
		return end
	}
	t.Time = epochSeconds(f)
	return end
}

// quickSeconds reads the arrival time as Lambda writes it, seconds with milliseconds (1795600800.123), about ten
// times faster than ScanValue and strconv.ParseFloat: a number of at most 15 digits, the first not 0, with or
// without a fraction, and nothing after it that could continue a number. Its digits make an integer below 2^52,
// and 10^k is exact in a float64 for k up to 22, so one division rounds their quotient correctly, as ParseFloat
// does (its own fast path is the same division). Anything else is not ok, and arrival reads it in full.
func quickSeconds(src []byte, v int) (f float64, end int, ok bool) {
	var mantissa uint64
	digits, fraction := 0, -1 // fraction: digits after the point, -1 before it
	for end = v; end < len(src); end++ {
		switch c := src[end]; {
		case c >= '0' && c <= '9':
			if digits == 0 && c == '0' {
				return 0, 0, false
			}
			mantissa = mantissa*10 + uint64(c-'0')
			digits++
			if fraction >= 0 {
				fraction++
			}
			continue
		case c == '.' && fraction < 0 && digits > 0:
			fraction = 0
			continue
		case c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+':
			return 0, 0, false
		}
		break
	}
	if digits == 0 || digits > 15 || fraction == 0 {
		return 0, 0, false
	}
	f = float64(mantissa)
	if fraction > 0 {
		f /= pow10[fraction]
	}
	return f, end, true
}

// pow10 are the powers of ten that quickSeconds divides by.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// epochSeconds turns Unix seconds into a time exactly as aws-lambda-go's events.SecondsEpochTime does, so that
// both decoders agree to the nanosecond (the float arithmetic may land a few nanoseconds off the millisecond).
func epochSeconds(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

// other steps over the value at src[v], which is not what the field called name must be (want), and saves the
// type error; it returns the offset past the value.
func (d *Decoder) other(v, depth int, name, want string) int {
	end := d.skip(v, depth)
	if d.syntax == nil {
		d.save(&Error{Kind: Type, Offset: v, Msg: fmt.Sprintf("%s is %s, not %s", name, kindOf(d.src[v]), want)})
	}
	return end
}

// skip steps over the value at src[v], checking its syntax.
func (d *Decoder) skip(v, depth int) int {
	end, err := jsoncompact.ScanValue(d.src, v, depth)
	if err != nil {
		d.syntaxError(err, "")
		return v
	}
	return end
}

func (d *Decoder) isNull(v int) bool { return bytes.HasPrefix(d.src[v:], []byte("null")) }

func (d *Decoder) space(i int) int {
	for i < len(d.src) {
		switch d.src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// expected records a syntax error at src[i], where want should have been.
func (d *Decoder) expected(i int, want string) int {
	if i >= len(d.src) {
		d.syntaxError(&jsoncompact.SyntaxError{Offset: i}, "unexpected end of JSON input")
	} else {
		d.syntaxError(&jsoncompact.SyntaxError{Offset: i}, fmt.Sprintf("invalid character %q looking for %s", d.src[i], want))
	}
	return i
}

func (d *Decoder) syntaxError(err error, msg string) {
	off := 0
	if se, ok := err.(*jsoncompact.SyntaxError); ok {
		off = se.Offset
		if msg == "" {
			msg = se.Error()
		}
	}
	d.fail(&d.syntax, &Error{Kind: Syntax, Offset: off, Msg: msg, Err: err})
}

func (d *Decoder) refuse(v int, msg string) {
	d.fail(&d.unsupported, &Error{Kind: Unsupported, Offset: v, Msg: msg})
}

// save keeps the first error in the document of those after which encoding/json reads on.
func (d *Decoder) save(e *Error) {
	if d.failed == nil || e.Offset < d.failed.Offset {
		d.failed = e
	}
}

// fail keeps e in *slot unless an earlier one is there.
func (d *Decoder) fail(slot **Error, e *Error) {
	if *slot == nil {
		*slot = e
	}
}

// where names a field of record p for error messages.
func (d *Decoder) where(p *pending, name string) string {
	return "Records[" + strconv.Itoa(p.index) + "]." + name
}

func (d *Decoder) bytesOf(t text) []byte {
	if t.inSide {
		return d.side[t.start:t.end]
	}
	return d.src[t.start:t.end]
}

// firstError is the error encoding/json would report when the first pass found one after which it reads on: the
// first in the document, where the data strings, not decoded yet, may hold an earlier one.
func (d *Decoder) firstError() *Error {
	for i := range d.recs {
		p := &d.recs[i]
		if p.data.set && p.data.at < d.failed.Offset {
			d.checkData(p, p.data)
		}
	}
	return d.failed
}

// finish returns the records, once the second pass of an exact read has decoded their data.
func (d *Decoder) finish() ([]events.KinesisEventRecord, error) {
	if !d.quick { // else decoded already
		if err := d.decodeData(); err != nil {
			return nil, err
		}
	}
	if len(d.out) == 0 {
		return []events.KinesisEventRecord{}, nil // an empty Records (not the table, which is kept)
	}
	return d.out, nil
}

// decodeData decodes the data of every record into one buffer, one after the other, and sets each record's Data.
func (d *Decoder) decodeData() error {
	size := 0
	for i := range d.recs {
		if p := &d.recs[i]; p.data.set {
			size += base64.StdEncoding.DecodedLen(p.data.end - p.data.start)
		}
	}
	buf, off := make([]byte, size), 0
	for i := range d.recs {
		p := &d.recs[i]
		if !p.data.set {
			continue
		}
		n, err := base64.StdEncoding.Decode(buf[off:], d.bytesOf(p.data))
		if err != nil {
			return d.dataError(p, p.data, err)
		}
		d.out[p.index].Kinesis.Data = buf[off : off+n : off+n]
		off += n
	}
	return nil
}

// quickLen is what the base64 text raw decodes to if it has no line breaks; not ok if its length is not a multiple
// of four: then it has line breaks, or is not base64.
func quickLen(raw []byte) (n int, ok bool) {
	if len(raw)%4 != 0 {
		return 0, false
	}
	n = len(raw) / 4 * 3
	for i := len(raw) - 1; i >= len(raw)-2 && i >= 0 && raw[i] == '='; i-- {
		n--
	}
	return n, true
}

// keepOwn copies the strings unique to record p, which ends at src[end], while they are still in the cache, to own,
// and sets them: the payload is not theirs to keep. Where the event ID ends with the sequence number, as Lambda
// writes it, one copy serves both. own is sized for the strings of the rest of the event, as decodeQuick sizes buf;
// what is written to it is never changed, so that the strings may refer to it.
func (d *Decoder) keepOwn(p *pending, end int) {
	id, seq, pk := d.bytesOf(p.id), d.bytesOf(p.seq), d.bytesOf(p.pk)
	inID := bytes.HasSuffix(id, seq)
	need := len(id) + len(pk)
	if !inID {
		need += len(seq)
	}
	if need > cap(d.own)-len(d.own) {
		d.own = uninitialized(need + d.guess(d.kept+need, end) + 1024)[:0]
	}
	d.kept += need
	r := &d.out[p.index]
	r.EventID = d.keep(id)
	if inID {
		r.Kinesis.SequenceNumber = r.EventID[len(id)-len(seq):]
	} else {
		r.Kinesis.SequenceNumber = d.keep(seq)
	}
	r.Kinesis.PartitionKey = d.keep(pk)
}

// keep appends b to own, which has room for it, and returns it as a string there.
func (d *Decoder) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	start := len(d.own)
	d.own = append(d.own, b...)
	return unsafe.String(&d.own[start], len(b))
}

// matches reports whether key names the field name, as encoding/json matches keys: exactly, or else without
// regard to case (Unicode simple folding).
func matches(key []byte, name string) bool {
	return string(key) == name || bytes.EqualFold(key, []byte(name))
}

// folded returns the name in names that key matches without regard to case, or "". It is for keys that match
// none exactly.
func folded(key []byte, names []string) string {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return n
		}
	}
	return ""
}

// kindOf names the JSON type of a value from its first byte.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// appendUnquoted appends the value of a JSON string to dst, given its raw bytes between the quotes (known to be
// valid JSON), as encoding/json decodes it: escapes resolved, invalid UTF-8 and unpaired UTF-16 surrogates
// replaced by U+FFFD.
func appendUnquoted(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '\\':
			if raw[i+1] != 'u' {
				dst = append(dst, unescape[raw[i+1]])
				i += 2
				continue
			}
			r := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if pair := utf16.DecodeRune(r, hex4(raw[i+2:])); pair != utf8.RuneError {
						dst = utf8.AppendRune(dst, pair)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// unescape maps the byte after a backslash to what the escape stands for (JSON's escapes other than \u).
var unescape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 reads four hexadecimal digits (known to be there).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
