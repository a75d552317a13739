package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// Batch objects are partitioned Hive-style, so that Athena, Glue and Spark prune by partition:
//
//	<prefix>[<name>=<value>/...]year=YYYY/month=MM/day=DD/hour=HH/<shardId>-<firstSequenceNumber><extension>
//
// The name=value levels come from PARTITION_KEYS, the time levels from the record's event time (TIME_FIELD) or,
// without one, its arrival time. Everything is a function of the records alone, so a retry rewrites the same keys.

// Partition is the directory of a batch object under the key prefix.
type Partition struct {
	Levels string    // the PARTITION_KEYS levels, "tenant=acme/type=click/", or ""
	Hour   time.Time // the hour of the time levels (UTC)
}

// String is the partition's path: its levels, then year=YYYY/month=MM/day=DD/hour=HH/.
func (p Partition) String() string { return p.Levels + hourPartition(p.Hour) }

// ObjectKey is the key of a batch object of one shard in partition p, named after its first record.
func ObjectKey(prefix string, p Partition, shardID, firstSeq, extension string) string {
	return prefix + p.String() + shardID + "-" + firstSeq + extension
}

// MaxPartitionKeys bounds the number of PARTITION_KEYS: each adds a level to every key (S3 allows 1,024 bytes).
const MaxPartitionKeys = 5

// PartitionKeysPattern is the syntax of PARTITION_KEYS: name=path pairs separated by commas, each name a lower
// case column name (Glue lowercases names, and the key must match the table's) and each path a transform.Path
// without commas. The Terraform variable validates with the same pattern; the names must also be distinct and
// none of ReservedPartitionNames.
const PartitionKeysPattern = `^(` + partitionKeyPattern + `)(,` + partitionKeyPattern + `)*$`

const partitionKeyPattern = `[a-z_][a-z0-9_]{0,63}=\.[^,]*`

var partitionKeysRE = regexp.MustCompile(PartitionKeysPattern)

// TimeLevels are the partition columns of the time levels, which PARTITION_KEYS cannot use.
var TimeLevels = []string{"year", "month", "day", "hour"}

// reservedNames are the names PARTITION_KEYS cannot use, with what already has each: the time levels, and the
// columns a records table has besides the schema's properties. Whatever FORMAT and SCHEMA are, so that changing
// either never gives a table two columns of one name (Athena cannot query it). A schema property named like a
// partition key is not made a column (schema.Columns): the name is the partition column's.
var reservedNames = func() map[string]string {
	m := map[string]string{
		schema.ExtraColumn: "the Parquet column of the fields that are not columns",
		schema.LineColumn:  "the JSON Lines table's column of each record's text when the schema makes no column",
	}
	for _, t := range TimeLevels {
		m[t] = "a time level"
	}
	return m
}()

// ReservedPartitionNames are the names PARTITION_KEYS cannot use, in order (the Terraform variables refuse them too).
func ReservedPartitionNames() []string { return slices.Sorted(maps.Keys(reservedNames)) }

// PartitionKey is one of PARTITION_KEYS: a name and the path of its value in the record.
type PartitionKey struct {
	Name string
	Path transform.Path
}

// ParsePartitionKeys parses PARTITION_KEYS, e.g. "tenant=.customer.tenant,type=.type". Empty means none.
func ParsePartitionKeys(s string) ([]PartitionKey, error) {
	if s == "" {
		return nil, nil
	}
	if !partitionKeysRE.MatchString(s) {
		return nil, fmt.Errorf("%q: want name=path pairs separated by commas, e.g. tenant=.customer.tenant,type=.type (names: a-z, 0-9 and _)", s)
	}
	var keys []PartitionKey
	seen := map[string]bool{}
	for _, pair := range strings.Split(s, ",") {
		name, path, _ := strings.Cut(pair, "=")
		if what, ok := reservedNames[name]; ok {
			return nil, fmt.Errorf("%q: %s is %s; choose another name", pair, name, what)
		}
		if seen[name] {
			return nil, fmt.Errorf("%q: %s is named twice", s, name)
		}
		seen[name] = true
		p, err := transform.ParsePath(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		keys = append(keys, PartitionKey{Name: name, Path: p})
	}
	if len(keys) > MaxPartitionKeys {
		return nil, fmt.Errorf("%q: %d keys; at most %d", s, len(keys), MaxPartitionKeys)
	}
	return keys, nil
}

// NullValue is the partition value of a missing, null or empty field (Hive's default partition name is longer
// and not valid in every tool). A string "__null__" is written otherwise (EncodeValue), so it keeps its own partition.
const NullValue = "__null__"

// MaxValueBytes bounds a partition value in a key: a longer encoding is cut and ends in a hash of the whole value.
const MaxValueBytes = 64

// hashMark separates the kept head of a value too long for MaxValueBytes from the hash of the whole value. No
// encoding of a shorter value contains it: every other '!' starts an escape, followed by two hex digits.
const hashMark = "!!"

// hashDigits is how many hex digits of the SHA-256 of the value end a value too long for MaxValueBytes.
const hashDigits = 16

// PartitionValue is the key text of a field's value (ok false: the field is missing): a string as it is, a number
// in its canonical form (CanonicalNumber), a boolean as true or false, then encoded by EncodeValue. Missing fields,
// null, empty strings, objects and arrays are NullValue.
func PartitionValue(v jsonvalue.Value, ok bool) string {
	var s string
	switch v.Kind() {
	case jsonvalue.String, jsonvalue.Bool:
		s = v.Text()
	case jsonvalue.Number:
		s = CanonicalNumber(v.Text())
	}
	if !ok || s == "" {
		return NullValue
	}
	return EncodeValue(s)
}

// EncodeValue writes a non-empty value as key text that S3, Hive and Athena take as it is, and that no other value
// shares: A-Z a-z 0-9 _ . - stay, every other byte (of its UTF-8) is ! and two upper-case hex digits (acme/eu is
// acme!2Feu, ! is !21). The string __null__ becomes !5F_null__, apart from NullValue. An encoding longer than
// MaxValueBytes keeps its head, then !! and the first 16 hex digits of the SHA-256 of the whole value.
func EncodeValue(s string) string {
	if s == NullValue {
		return "!5F" + s[1:]
	}
	if len(s) <= MaxValueBytes && strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf || !keeps(byte(r)) }) < 0 {
		return s // most values: nothing to escape
	}
	b := make([]byte, 0, MaxValueBytes+3)
	head := 0 // the length of b after the last whole character that leaves room for the hash
	const headMax = MaxValueBytes - len(hashMark) - hashDigits
	for i := 0; i < len(s); i++ {
		if c := s[i]; keeps(c) {
			b = append(b, c)
		} else {
			b = append(b, '!', hexDigits[c>>4], hexDigits[c&15])
		}
		if len(b) <= headMax && (i+1 == len(s) || utf8.RuneStart(s[i+1])) {
			head = len(b)
		}
		if len(b) > MaxValueBytes {
			sum := sha256.Sum256([]byte(s))
			return string(b[:head]) + hashMark + hex.EncodeToString(sum[:])[:hashDigits]
		}
	}
	return string(b)
}

const hexDigits = "0123456789ABCDEF"

// keeps reports whether EncodeValue keeps byte c as it is: S3's safe characters but for the ! * ' ( ) of its list.
func keeps(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// ValuePattern matches what EncodeValue writes, at most MaxValueBytes of it (and NullValue): kept characters and
// escapes, then perhaps the hash of a longer value. The catalog module validates enum projection values with it.
const ValuePattern = `(?:[A-Za-z0-9_.-]|![0-9A-F]{2})+(?:!![0-9a-f]{16})?`

// CanonicalNumber writes a JSON number literal in one form for its value, so that 42, 42.0, 4.2e1 and 420e-1 share
// a partition. The form is exact (every digit sent is kept: integers beyond 2^53 and decimals do not round) and
// reads as JavaScript prints a number, but for integers, which are plain up to 64 digits: plain digits for those
// integers and for other numbers from 1e-6 to below 1e21 (42, -1.5, 0.000001); else one digit, the rest after a
// point, and the exponent (1e65, -1.25e-7, 1.5e21 is 1500000000000000000000). A literal whose exponent has more
// than 18 digits (beyond every number type) stays as it is.
func CanonicalNumber(lit string) string {
	neg := strings.HasPrefix(lit, "-")
	mant, e := strings.TrimPrefix(lit, "-"), int64(0)
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		var err error
		if e, err = strconv.ParseInt(mant[i+1:], 10, 64); err != nil || e > 1e18 || e < -1e18 {
			return lit
		}
		mant = mant[:i]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	// The value is 0.digits × 10^point.
	point := e + int64(len(intPart)) - int64(len(intPart+frac)-len(digits))
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return "0"
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	n := int64(len(digits))
	switch {
	case point >= n && point <= MaxValueBytes: // an integer (a longer one is hashed anyway)
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", int(point-n)))
	case point > 0 && point <= 21:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	case point > -6 && point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", int(-point)))
		b.WriteString(digits)
	default:
		b.WriteString(digits[:1])
		if n > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		b.WriteString(strconv.FormatInt(point-1, 10))
	}
	return b.String()
}

// Event times outside [MinEventYear, MaxEventYear] are not believed: the arrival time is used instead. The
// catalog's partition projection covers these years.
const (
	MinEventYear = 2000
	MaxEventYear = 2099
)

// secondsLimit separates epoch seconds from milliseconds: 10^11 seconds is the year 5138, 10^11 milliseconds 1973.
const secondsLimit = 1e11

// dateTime parses an RFC 3339 date-time as the schema's "date-time" format accepts it, which time.Parse does not
// quite: a lower-case t or z is upper-case, and a leap second (23:59:60 UTC) is the last microsecond before the
// next second, 23:59:59.999999, so that it stays in its day and hour and after the events before it.
func dateTime(s string) (time.Time, error) {
	s = strings.ToUpper(s) // no copy when there is nothing to change
	const second = len("2006-01-02T15:04:")
	leap := len(s) > second+2 && s[second:second+2] == "60"
	if leap {
		s = s[:second] + "59" + s[second+2:]
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !leap {
		return t, err
	}
	if u := t.UTC(); u.Hour() != 23 || u.Minute() != 59 {
		return time.Time{}, fmt.Errorf("second 60 at %02d:%02d UTC: a leap second is at 23:59 UTC", u.Hour(), u.Minute())
	}
	return t.Truncate(time.Second).Add(time.Second - time.Microsecond), nil
}

// EventTime reads an event time: an RFC 3339 string, or a number of seconds (below 10^11) or milliseconds since
// the Unix epoch. ok is false for anything else, and for times outside MinEventYear–MaxEventYear.
func EventTime(v jsonvalue.Value) (t time.Time, ok bool) {
	switch v.Kind() {
	case jsonvalue.String:
		var err error
		if t, err = dateTime(v.Text()); err != nil {
			return time.Time{}, false
		}
	case jsonvalue.Number:
		if n, err := strconv.ParseInt(v.Text(), 10, 64); err == nil { // exactly, when it is an integer
			if n >= secondsLimit || n <= -secondsLimit {
				t = time.UnixMilli(n)
			} else {
				t = time.Unix(n, 0)
			}
			break
		}
		f, err := strconv.ParseFloat(v.Text(), 64)
		if err != nil {
			return time.Time{}, false
		}
		if math.Abs(f) >= secondsLimit {
			f /= 1000
		}
		if f < -1e12 || f > 1e12 { // far outside the years below; keeps the conversion exact
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		t = time.Unix(int64(sec), int64(frac*1e9))
	default:
		return time.Time{}, false
	}
	t = t.UTC()
	if t.Year() < MinEventYear || t.Year() > MaxEventYear {
		return time.Time{}, false
	}
	return t, true
}

// PartitionLimit admits at most Max distinct partitions (MAX_PARTITIONS per invocation), in the order they are
// asked for, so that one producer sending random tenants or times cannot make thousands of objects.
type PartitionLimit struct {
	Max  int
	seen map[string]bool
}

// Fits reports whether parts could all be admitted: those not admitted before, counted once each, stay within Max.
// Empty strings stand for no partition.
func (l *PartitionLimit) Fits(parts []string) bool {
	fresh := map[string]bool{}
	for _, p := range parts {
		if p != "" && !l.seen[p] {
			fresh[p] = true
		}
	}
	return len(l.seen)+len(fresh) <= l.Max
}

// Admitted is the number of distinct partitions admitted so far.
func (l *PartitionLimit) Admitted() int { return len(l.seen) }

// Admit reports whether partition p may be written to: it has been admitted before, or fewer than Max have.
func (l *PartitionLimit) Admit(p string) bool {
	if l.seen[p] {
		return true
	}
	if len(l.seen) >= l.Max {
		return false
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[p] = true
	return true
}
