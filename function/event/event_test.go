package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// lambdaGo decodes payload as the aws-lambda-go runtime does, for a handler that takes an events.KinesisEvent.
func lambdaGo(payload []byte) (events.KinesisEvent, error) {
	var ev events.KinesisEvent
	err := json.NewDecoder(bytes.NewReader(payload)).Decode(&ev)
	return ev, err
}

// same holds the decoder to aws-lambda-go's decoding of payload: the same records, or an error of the same kind.
// It returns the records, or nil after an error.
func same(t *testing.T, payload []byte) []events.KinesisEventRecord {
	t.Helper()
	want, wantErr := lambdaGo(payload)
	var d Decoder
	got, err := d.Decode(payload)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Decode(%q): error %v is not an *Error", payload, err)
		}
		if e.Kind == Unsupported {
			return nil // a form Lambda never sends, refused on purpose (see the package doc)
		}
		if wantErr == nil {
			t.Fatalf("Decode(%q) failed: %v; encoding/json decodes it to %+v", payload, err, want.Records)
		}
		if k := kindOfJSONError(t, wantErr); k != e.Kind {
			t.Fatalf("Decode(%q) = %v (%s); encoding/json: %v (%s)", payload, err, e.Kind, wantErr, k)
		}
		return nil
	}
	if wantErr != nil {
		t.Fatalf("Decode(%q) = %+v; encoding/json fails: %v", payload, got, wantErr)
	}
	if !reflect.DeepEqual(got, want.Records) {
		t.Fatalf("Decode(%q)\n got %#v\nwant %#v", payload, got, want.Records)
	}
	// The handler reuses decoders (a sync.Pool): one that decoded every payload before this one answers the same.
	if again, err := reused.Decode(payload); err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("Decode(%q) by a reused decoder = %#v, %v; by a new one %#v", payload, again, err, got)
	}
	reused.Release() // as the handler does: the next payload's records are read into this one's table
	return got
}

// reused is the decoder same decodes every payload with a second time, after all those before it, each into the
// record table of the one before.
var reused Decoder

// kindOfJSONError classifies an error of encoding/json (or of aws-lambda-go's UnmarshalJSON methods).
func kindOfJSONError(t *testing.T, err error) Kind {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var be base64.CorruptInputError
	switch {
	case errors.As(err, &se), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF): // the Decoder's "syntax errors"
		return Syntax
	case errors.As(err, &te):
		return Type
	case errors.As(err, &be):
		return Data
	}
	t.Fatalf("encoding/json error %T (%v) of no known kind", err, err)
	return 0
}

var source = kinesisevent.Source{
	StreamARN:         "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
	Region:            "us-east-1",
	InvokeIdentityARN: "arn:aws:iam::123456789012:role/kinesis2s3",
}

// lambdaEvent is an event of n records as Lambda sends it.
func lambdaEvent(t testing.TB, n int) []byte {
	t.Helper()
	recs := make([]kinesisevent.Record, n)
	for i := range recs {
		recs[i] = kinesisevent.Record{
			ShardID:        "shardId-000000000003",
			SequenceNumber: fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", i),
			PartitionKey:   fmt.Sprintf("user-%d", i%7),
			Data:           []byte(fmt.Sprintf(`{"n":%d,"s":"%s"}`, i, strings.Repeat("x", i%5))),
			Arrival:        time.UnixMilli(1764000000000 + int64(i)*7),
			EncryptionType: []string{"", "KMS"}[i%2],
		}
	}
	ev, err := kinesisevent.Encode(source, recs)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// awsExample is the example event of the Lambda developer guide, indented as the guide prints it.
func awsExample(t testing.TB) []byte {
	src := kinesisevent.Source{StreamARN: "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream", Region: "us-east-2",
		InvokeIdentityARN: "arn:aws:iam::123456789012:role/lambda-role"}
	ev, err := kinesisevent.Encode(src, []kinesisevent.Record{{ShardID: "shardId-000000000006", PartitionKey: "1",
		SequenceNumber: "49590338271490256608559692538361571095921575989136588898",
		Data:           []byte("Hello, this is a test."), Arrival: time.UnixMilli(1545084650987)}})
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, ev, "", "    "); err != nil {
		t.Fatal(err)
	}
	return indented.Bytes()
}

func TestDecodesLambdaEvents(t *testing.T) {
	got := same(t, awsExample(t))
	if len(got) != 1 || string(got[0].Kinesis.Data) != "Hello, this is a test." || got[0].Kinesis.PartitionKey != "1" {
		t.Fatalf("records %+v", got)
	}
	recs := same(t, lambdaEvent(t, 300))
	if len(recs) != 300 {
		t.Fatalf("%d records", len(recs))
	}
}

// The event's data is decoded into one buffer, each record's Data a sub-slice of it that cannot grow into the
// next; the strings every record shares are one string, and the sequence number is the end of the eventID.
func TestOneBufferAndSharedStrings(t *testing.T) {
	var d Decoder
	recs, err := d.Decode(lambdaEvent(t, 50))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(recs); i++ {
		prev, cur := recs[i-1].Kinesis.Data, recs[i].Kinesis.Data
		if cap(prev) != len(prev) || unsafe.Add(unsafe.Pointer(unsafe.SliceData(prev)), len(prev)) != unsafe.Pointer(unsafe.SliceData(cur)) {
			t.Fatalf("record %d's data does not follow record %d's in one buffer", i, i-1)
		}
		id, seq := recs[i].EventID, recs[i].Kinesis.SequenceNumber
		if unsafe.Pointer(unsafe.StringData(seq)) != unsafe.Add(unsafe.Pointer(unsafe.StringData(id)), len(id)-len(seq)) {
			t.Fatalf("record %d: the sequence number is copied apart from the eventID that ends with it", i)
		}
		if unsafe.StringData(recs[i].EventSourceArn) != unsafe.StringData(recs[0].EventSourceArn) ||
			unsafe.StringData(recs[i].AwsRegion) != unsafe.StringData(recs[0].AwsRegion) {
			t.Fatalf("record %d: shared strings copied again", i)
		}
	}
}

// A decoder allocates the same few times for an event of any size: nothing per record once its working memory has
// grown to the batch.
func TestAllocationsDoNotGrowWithRecords(t *testing.T) {
	for _, n := range []int{10, 1000} {
		ev := lambdaEvent(t, n)
		var d Decoder
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := d.Decode(ev); err != nil {
				t.Fatal(err)
			}
		})
		// The records, the data buffer, the strings; the shared strings (2 encryption types alternate).
		if allocs > 3+2*nShared {
			t.Errorf("%d records: %.0f allocations per event", n, allocs)
		}
	}
}

// The payload may be reused once Decode returns (the Lambda runtime does): nothing refers to it.
func TestRecordsDoNotReferToThePayload(t *testing.T) {
	ev := lambdaEvent(t, 20)
	var d Decoder
	recs, err := d.Decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := same(t, ev)
	for i := range ev {
		ev[i] = 'x'
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatal("records changed with the payload")
	}
}

// escapeAll writes s as a JSON string with every character escaped (\uXXXX, surrogate pairs beyond the BMP).
func escapeAll(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r > 0xFFFF {
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04X\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	b.WriteByte('"')
	return b.String()
}

// record is one record of a test event, with every value written as raw JSON.
func record(kv map[string]string) string {
	var kin, rec []string
	for k, v := range kv {
		if name, ok := strings.CutPrefix(k, "kinesis."); ok {
			kin = append(kin, fmt.Sprintf("%q:%s", name, v))
		} else {
			rec = append(rec, fmt.Sprintf("%q:%s", k, v))
		}
	}
	return `{"kinesis":{` + strings.Join(kin, ",") + `},` + strings.Join(rec, ",") + `}`
}

var lambdaFields = map[string]string{
	"kinesis.kinesisSchemaVersion":        `"1.0"`,
	"kinesis.partitionKey":                `"user-42 Zoë 🚀"`,
	"kinesis.sequenceNumber":              `"49590338271490256608559692538361571095921575989136588898"`,
	"kinesis.data":                        `"eyJhIjoxfQ=="`,
	"kinesis.approximateArrivalTimestamp": `1545084650.987`,
	"kinesis.encryptionType":              `"KMS"`,
	"eventSource":                         `"aws:kinesis"`,
	"eventVersion":                        `"1.0"`,
	"eventID":                             `"shardId-000000000006:49590338271490256608559692538361571095921575989136588898"`,
	"eventName":                           `"aws:kinesis:record"`,
	"invokeIdentityArn":                   `"arn:aws:iam::123456789012:role/lambda-role"`,
	"awsRegion":                           `"us-east-2"`,
	"eventSourceARN":                      `"arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"`,
}

// with returns the fields with some values replaced.
func with(changes map[string]string) map[string]string {
	kv := map[string]string{}
	for k, v := range lambdaFields {
		kv[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(kv, k)
		} else {
			kv[k] = v
		}
	}
	return kv
}

func events1(recs ...string) []byte { return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`) }

func TestEscapedStringsInEveryField(t *testing.T) {
	for k, v := range lambdaFields {
		var s string
		if json.Unmarshal([]byte(v), &s) != nil {
			continue // the arrival time
		}
		t.Run(k, func(t *testing.T) {
			escaped := events1(record(with(map[string]string{k: escapeAll(s)})), record(lambdaFields))
			recs := same(t, escaped)
			if plain := same(t, events1(record(lambdaFields))); !reflect.DeepEqual(recs[0], plain[0]) {
				t.Errorf("escaped %s decodes to %+v, plain to %+v", k, recs[0], plain[0])
			}
			// A short escape, an escaped slash and a string that is mostly plain.
			same(t, events1(record(with(map[string]string{k: `"\/\"\\` + strings.Trim(v, `"`) + `\n\t\r\b\f"`}))))
		})
	}
}

func TestStringsAsEncodingJSONReadsThem(t *testing.T) {
	for _, v := range []string{
		`"\ud83d\ude80"`, `"\ud83d"`, `"\ude80\ud83d"`, `"\ud83d\u0041"`, `"\ud83dx"`, `"\u0000"`, `"\uFFFD"`,
		"\"\xff\xfe\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", `""`, "\"Zoë\"",
	} {
		same(t, events1(record(with(map[string]string{"kinesis.partitionKey": v, "eventSourceARN": v, "eventID": v}))))
	}
}

func TestArrivalTimes(t *testing.T) {
	for _, v := range []string{
		`1545084650`, `1545084650.987`, `1545084650.9876543`, `1.545084650987e9`, `1545084650E0`, `-1.5`, `0`, `-0`,
		`1e-400`, `null`, ``, // an arrival of null is 1970; none is the zero time
		`1e400`, `"1545084650.987"`, `true`, `{}`, `[1]`, // errors
	} {
		same(t, events1(record(with(map[string]string{"kinesis.approximateArrivalTimestamp": v}))))
	}
}

func TestRecordsMissingNullOrEmpty(t *testing.T) {
	for _, ev := range []string{`{}`, `{"Records":null}`, `{"Records":[]}`, `null`, `{"other":1}`, ` { "records" : [ ] } `, `nullx`} {
		if recs := same(t, []byte(ev)); len(recs) != 0 {
			t.Errorf("%s: %d records", ev, len(recs))
		}
	}
}

func TestWhatEncodingJSONAccepts(t *testing.T) {
	for _, ev := range []string{
		// unknown fields at every level, of every type, as Lambda may add some
		`{"x":{"a":[1,{"b":null}]},"Records":[{"new":[true,false],"kinesis":{"new":"z","data":"AA=="},"z":1.5}],"y":"s"}`,
		// keys without regard to case, and with a Kelvin sign for the K
		`{"RECORDS":[{"KINESIS":{"DATA":"AA==","sequencenumber":"1"},"EventId":"s:1"}]}`,
		"{\"Records\":[{\"\u212Ainesis\":{\"data\":\"AQ==\"}}]}",
		`{"Re\u0063ords":[{"kin\u0065sis":{"d\u0061ta":"AQ=="}}]}`,
		// null records and fields, missing ones, empty data, white space everywhere
		`{"Records":[null,{"kinesis":null},{"kinesis":{"data":null,"partitionKey":null}},{"kinesis":{"data":""}}]}`,
		"\t{\n\"Records\" :\r[ { \"kinesis\" : { \"data\" : \"AQ==\" } } ] }\n",
		// a key given twice: the last value, or the objects merged
		`{"Records":[{"kinesis":{"data":"AQ==","data":"Ag=="},"eventID":"a","eventID":"b"}]}`,
		`{"Records":[{"kinesis":{"data":"AQ=="},"kinesis":{"partitionKey":"k"}}]}`,
		`{"Records":[{"kinesis":{"data":"AQ==","data":null,"partitionKey":"k","partitionKey":null}}]}`,
		// base64 with line breaks (encoding/base64 skips them)
		`{"Records":[{"kinesis":{"data":"SGVs\nbG8=\r\n"}}]}`,
		`{"Records":[{"kinesis":{"data":"SGVs\u000abG8\u003d"}}]}`,
		// what follows the event is not read
		`{"Records":[{"kinesis":{"data":"AQ=="}}]}x`, `{"Records":[]} {`, `{}]`, `{"Records":[]}` + "\x00",
	} {
		same(t, []byte(ev))
	}
}

func TestWhatEncodingJSONRejects(t *testing.T) {
	for _, ev := range []string{
		// syntax errors, also after type errors and in skipped values
		``, ` `, `{`, `{"Records":[}`, `{"Records":[{"kinesis":{"data":"AA=="}}]`, `{"Records":[],}`, `nul`, `1.x`,
		`{"Records":[1,]}`, `{"a":tru}`, `{"Records":"x","b":[}`, `{"Records":[{"kinesis":{"data":"\x"}}]}`,
		"{\"Records\":[{\"eventID\":\"a\tb\"}]}", `{"Records":[{"kinesis":{"approximateArrivalTimestamp":01}}]}`,
		"\xef\xbb\xbf{}",
		// type errors
		`[]`, `"x"`, `1`, `{"Records":{}}`, `{"Records":"x"}`, `{"Records":[1]}`, `{"Records":[{"kinesis":[]}]}`,
		`{"Records":[{"eventID":1}]}`, `{"Records":[{"kinesis":{"partitionKey":{}}}]}`,
		`{"Records":[{"kinesis":{"data":true}}]}`,
		// base64 errors, also in data that a later key replaces
		`{"Records":[{"kinesis":{"data":"not base64"}}]}`, `{"Records":[{"kinesis":{"data":"AQ="}}]}`,
		`{"Records":[{"kinesis":{"data":"!!","data":"AQ=="}}]}`, `{"Records":[{"kinesis":{"data":"Zoë="}}]}`,
		// which comes first: a syntax error wins, an arrival time's error ends the decoding, else the first error
		`{"Records":[{"kinesis":{"data":"!!"}},{"eventID":1}]}`,
		`{"Records":[{"eventID":1},{"kinesis":{"data":"!!"}}]}`,
		`{"Records":[{"kinesis":{"data":"!!"}},{"kinesis":{"approximateArrivalTimestamp":"x"}}]}`,
		`{"Records":[{"kinesis":{"approximateArrivalTimestamp":"x"}}],"y":[}`,
		`{"Records":[{"kinesis":{"data":"!!","approximateArrivalTimestamp":1}},{"eventID":1}]}`,
	} {
		var d Decoder
		if _, err := d.Decode([]byte(ev)); err == nil {
			t.Errorf("Decode(%q) succeeded", ev)
		}
		same(t, []byte(ev))
	}
}

// Nesting in skipped values counts towards encoding/json's limit of 10,000 levels from the top of the event.
func TestDepthLimit(t *testing.T) {
	for _, n := range []int{9995, 9996, 9997} { // the value of an unknown field in "kinesis" is at depth 5
		ev := `{"Records":[{"kinesis":{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}}]}`
		same(t, []byte(ev))
	}
}

func TestRefusesWhatLambdaNeverSends(t *testing.T) {
	many := `{"Records":[` + strings.Repeat(`{},`, MaxRecords) + `{}]}`
	for _, ev := range []string{
		`{"Records":[{"kinesis":{"data":[1,2,3]}}]}`,
		`{"Records":[],"Records":[]}`,
		many,
	} {
		var d Decoder
		_, err := d.Decode([]byte(ev))
		var e *Error
		if !errors.As(err, &e) || e.Kind != Unsupported {
			t.Errorf("Decode(%.60q...) = %v; want an Unsupported error", ev, err)
		}
	}
	var d Decoder
	if recs, err := d.Decode([]byte(`{"Records":[` + strings.Repeat(`{},`, MaxRecords-1) + `{}]}`)); err != nil || len(recs) != MaxRecords {
		t.Errorf("%d records: %d, %v", MaxRecords, len(recs), err)
	}
	// A syntax error still comes first.
	var e *Error
	if _, err := d.Decode([]byte(`{"Records":[],"Records":[}`)); !errors.As(err, &e) || e.Kind != Syntax {
		t.Errorf("error %v; want a syntax error", err)
	}
}

// A Decoder is reused from event to event: what one event leaves behind never shows in the next.
func TestReuse(t *testing.T) {
	var d Decoder
	big := lambdaEvent(t, 40)
	small := events1(`{"kinesis":{"data":"AQ=="}}`)
	for _, release := range []bool{false, true} {
		for _, ev := range [][]byte{big, []byte(`{"Records":[{"eventID":1}]}`), small, big, []byte(`{"Records":null}`), small} {
			want, wantErr := lambdaGo(ev)
			got, err := d.Decode(ev)
			if (err != nil) != (wantErr != nil) || (err == nil && !reflect.DeepEqual(got, want.Records)) {
				t.Fatalf("Decode(%.40q...) = %+v, %v; want %+v, %v", ev, got, err, want.Records, wantErr)
			}
			if release {
				d.Release()
			}
		}
	}
}

// The records of an event read into the table of a larger one that was handed back are exactly the event's: none
// of the larger event's records, nor any of their fields, show in them; and they equal a new decoder's. Records
// not handed back are never overwritten.
func TestReleasedTableHoldsNoStaleRecords(t *testing.T) {
	var d Decoder
	large := lambdaEvent(t, 300)
	kept, err := d.Decode(large)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := lambdaGo(large)
	if _, err := d.Decode(large); err != nil { // kept was not handed back: this event has a table of its own
		t.Fatal(err)
	}
	d.Release()
	if !reflect.DeepEqual(kept, want.Records) {
		t.Fatal("records not handed back were overwritten")
	}
	if len(d.table) != 0 || cap(d.table) < 300 {
		t.Fatalf("table of %d records, %d long, kept after Release", cap(d.table), len(d.table))
	}
	for i, r := range d.table[:cap(d.table)] {
		if !reflect.ValueOf(r).IsZero() {
			t.Fatalf("the kept table's record %d still holds %+v", i, r)
		}
	}
	// Records without most fields, then a failed event (whose partial records go to the table too), then again.
	smaller := events1(`{"kinesis":{"data":"AQ=="}}`, `{}`, `null`, lambdaRecord(t, 7), `{"eventID":"x","kinesis":{}}`)
	for _, ev := range [][]byte{smaller, events1(lambdaRecord(t, 1), `{"kinesis":{"data":"A*=="}}`), smaller} {
		want, wantErr := lambdaGo(ev)
		got, err := d.Decode(ev)
		fresh, freshErr := new(Decoder).Decode(ev)
		if (err != nil) != (wantErr != nil) || (err != nil) != (freshErr != nil) {
			t.Fatalf("Decode(%.60q...): error %v; encoding/json %v, a new decoder %v", ev, err, wantErr, freshErr)
		}
		if err == nil && (!reflect.DeepEqual(got, want.Records) || !reflect.DeepEqual(got, fresh)) {
			t.Fatalf("Decode(%.60q...) into a used table = %+v\nwant %+v\nnew decoder %+v", ev, got, want.Records, fresh)
		}
		d.Release()
	}
	// The table grown by the large event is not kept for events a fraction of its size.
	if cap(d.table) >= 300 {
		t.Errorf("a table of %d records kept after events of %d", cap(d.table), 5)
	}
}

func TestErrorNamesTheRecordAndField(t *testing.T) {
	var d Decoder
	_, err := d.Decode(events1(`{}`, `{"kinesis":{"data":"not base64"}}`))
	if err == nil || !strings.Contains(err.Error(), "Records[1].kinesis.data is not base64") {
		t.Fatalf("error %v", err)
	}
}

// FuzzDecode holds the decoder to encoding/json's decoding into events.KinesisEvent, whatever the bytes. The seeds
// cover the shapes above; the fuzzer mutates them.
func FuzzDecode(f *testing.F) {
	f.Add(awsExample(f))
	f.Add(lambdaEvent(f, 3))
	f.Add(events1(record(lambdaFields), "null", record(with(map[string]string{"kinesis.data": `"SGVs\nbG8="`}))))
	for k, v := range lambdaFields {
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			f.Add(events1(record(with(map[string]string{k: escapeAll(s)}))))
		}
	}
	for _, ts := range []string{`1545084650`, `1.5e9`, `null`, `"1"`, `-0.000000001`} {
		f.Add(events1(record(with(map[string]string{"kinesis.approximateArrivalTimestamp": ts}))))
	}
	for _, ev := range []string{`{}`, `{"Records":null}`, `{"Records":[]}`, `null`, `{"records":[{"KINESIS":{"Data":"AA=="}}]}`,
		"{\"Records\":[{\"kinesis\":{\"partitionKey\":\"\\ud83d\xff\"}}]}", `{"Records":[{"kinesis":{"data":"!!"}},{"eventID":1}]}`} {
		f.Add([]byte(ev))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		recs := same(t, payload)
		for _, r := range recs {
			if !utf8.ValidString(r.Kinesis.PartitionKey) || !utf8.ValidString(r.EventID) {
				t.Fatalf("invalid UTF-8 in %+v", r)
			}
		}
	})
}

// A Decoder kept for the next invocation holds nothing of an event it failed on: records read before the bad one
// had their data decoded into the event's buffer.
func TestFailedDecodeKeepsNoData(t *testing.T) {
	var d Decoder
	ev := events1(`{"kinesis":{"data":"AAAA"}},{"kinesis":{"data":"AAAA"}},{"kinesis":{"data":"A*=="}}`)
	if _, err := d.Decode(ev); err == nil {
		t.Fatal("bad base64 decoded")
	}
	if d.out != nil || d.buf != nil || d.own != nil || d.src != nil {
		t.Fatal("the decoder still refers to the event's records, data, strings or payload")
	}
	for i, r := range d.table[:cap(d.table)] { // kept for the next event: cleared
		if !reflect.ValueOf(r).IsZero() {
			t.Fatalf("the kept table's record %d still holds %+v", i, r)
		}
	}
}
