package layout

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
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
// none of year, month, day, hour.
const PartitionKeysPattern = `^(` + partitionKeyPattern + `)(,` + partitionKeyPattern + `)*$`

const partitionKeyPattern = `[a-z_][a-z0-9_]{0,63}=\.[^,]*`

var partitionKeysRE = regexp.MustCompile(PartitionKeysPattern)

// TimeLevels are the partition columns of the time levels, which PARTITION_KEYS cannot use.
var TimeLevels = []string{"year", "month", "day", "hour"}

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
		for _, t := range TimeLevels {
			if name == t {
				return nil, fmt.Errorf("%q: %s is a time level; choose another name", pair, name)
			}
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
// and not valid in every tool).
const NullValue = "__null__"

// MaxValueBytes bounds a partition value in a key.
const MaxValueBytes = 64

// PartitionValue is the key text of a field's value (ok false: the field is missing): a string as it is, a number
// or boolean as its JSON text, then sanitised — every character but A-Z a-z 0-9 _ . - becomes _, and the result
// is cut to MaxValueBytes. Missing fields, null, empty strings, objects and arrays are NullValue.
func PartitionValue(v jsonvalue.Value, ok bool) string {
	var s string
	switch v.Kind() {
	case jsonvalue.String:
		s = v.Text()
	case jsonvalue.Number, jsonvalue.Bool:
		s = v.Text()
	}
	if !ok || s == "" {
		return NullValue
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= MaxValueBytes {
			break
		}
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
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
