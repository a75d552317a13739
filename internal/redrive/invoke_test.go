package redrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// fakeLambda answers each invocation with respond(call, event).
type fakeLambda struct {
	events  []events.KinesisEvent
	sizes   []int
	inputs  []*lambda.InvokeInput
	respond func(call int, ev events.KinesisEvent) (*lambda.InvokeOutput, error)
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	var ev events.KinesisEvent
	if err := json.Unmarshal(in.Payload, &ev); err != nil {
		return nil, err
	}
	f.events = append(f.events, ev)
	f.sizes = append(f.sizes, len(in.Payload))
	f.inputs = append(f.inputs, in)
	if f.respond == nil {
		return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[]}`)}, nil
	}
	return f.respond(len(f.events)-1, ev)
}

var testSource = kinesisevent.Source{StreamARN: testStreamARN, Region: "eu-west-1"}

func testRecords(n, size int) []kinesisevent.Record {
	recs := make([]kinesisevent.Record, n)
	arrival := time.Date(2026, 11, 25, 3, 4, 5, 678e6, time.UTC)
	for i, s := range seqs(1, n) {
		data := []byte(`{"i":"` + s + `"}`)
		if size > 0 {
			data = bytes.Repeat([]byte("x"), size)
		}
		recs[i] = kinesisevent.Record{ShardID: shard0, SequenceNumber: s, PartitionKey: "pk" + s, Data: data, Arrival: arrival.Add(time.Duration(i) * time.Second)}
	}
	return recs
}

func TestInvokeSendsTheKinesisEvent(t *testing.T) {
	fn := &fakeLambda{}
	v := NewInvoke(fn, "kinesis2s3:live", "arn:aws:iam::123456789012:role/kinesis2s3-role")
	recs := testRecords(3, 0)
	res, err := v.Reprocess(context.Background(), testSource, recs)
	if err != nil || res.Handled != 3 || res.Detailed {
		t.Fatalf("Reprocess = %+v, %v", res, err)
	}
	in := fn.inputs[0]
	if aws.ToString(in.FunctionName) != "kinesis2s3:live" || in.InvocationType != types.InvocationTypeRequestResponse {
		t.Errorf("input %+v", in)
	}
	src := testSource
	src.InvokeIdentityARN = "arn:aws:iam::123456789012:role/kinesis2s3-role"
	want, err := kinesisevent.Encode(src, recs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Payload, want) {
		t.Errorf("payload\n%s\nwant\n%s", in.Payload, want)
	}
	r := fn.events[0].Records[1]
	if r.EventID != shard0+":"+recs[1].SequenceNumber || r.EventSourceArn != testStreamARN || r.AwsRegion != "eu-west-1" ||
		r.Kinesis.PartitionKey != recs[1].PartitionKey || string(r.Kinesis.Data) != string(recs[1].Data) {
		t.Errorf("record %+v", r)
	}
}

func TestInvokeReadsFailures(t *testing.T) {
	recs := testRecords(4, 0)
	for _, tc := range []struct {
		name        string
		out         *lambda.InvokeOutput
		err         error
		wantHandled int
		wantErr     string
	}{
		{"success, empty response", &lambda.InvokeOutput{StatusCode: 200}, nil, 4, ""},
		{"partial failure", &lambda.InvokeOutput{StatusCode: 200,
			Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"` + recs[2].SequenceNumber + `"}]}`)}, nil, 2,
			"function reported record " + recs[2].SequenceNumber + " as failed"},
		{"function error header", &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
			Payload: []byte(`{"errorMessage":"boom","errorType":"errorString"}`)}, nil, 0, "function error (Unhandled): {\"errorMessage\":\"boom\""},
		{"RIE error object without the header", &lambda.InvokeOutput{StatusCode: 200,
			Payload: []byte(`{"errorMessage":"event record 0 has no valid sequenceNumber","errorType":"errorString"}`)}, nil, 0, "function error: "},
		{"RIE timeout text", &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`Task timed out after 3.00 seconds`)}, nil, 0, "not a JSON object"},
		{"unknown identifier", &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"12"}]}`)}, nil, 0, "not a record of this batch"},
		{"not invoked", nil, errors.New("TooManyRequestsException"), 0, "invoke kinesis2s3: TooManyRequestsException"},
	} {
		fn := &fakeLambda{respond: func(int, events.KinesisEvent) (*lambda.InvokeOutput, error) { return tc.out, tc.err }}
		res, err := NewInvoke(fn, "kinesis2s3", "").Reprocess(context.Background(), testSource, recs)
		if res.Handled != tc.wantHandled {
			t.Errorf("%s: handled %d, want %d", tc.name, res.Handled, tc.wantHandled)
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestIsErrorObject(t *testing.T) {
	for body, want := range map[string]bool{
		`{"errorMessage":"x","errorType":"y"}`:                   true,
		`{"errorMessage":"x","errorType":"y","stackTrace":[]}`:   true,
		`{"batchItemFailures":[]}`:                               false,
		`{"errorMessage":"x"}`:                                   false,
		`{"errorMessage":"x","errorType":"y","other":1}`:         false,
		`{"errorMessage":1,"errorType":"y"}`:                     false,
		`null`:                                                   false,
		`{}`:                                                     false,
		`Task timed out after 3.00 seconds`:                      false,
		`{"errorMessage":"x","errorType":"y","stackTrace":null}`: true,
	} {
		if got := isErrorObject([]byte(body)); got != want {
			t.Errorf("isErrorObject(%s) = %v", body, got)
		}
	}
}

// Events are cut to fit the 6 MB invocation limit, keeping the records in order.
func TestInvokeSplitsAtThePayloadLimit(t *testing.T) {
	fn := &fakeLambda{}
	recs := testRecords(12, 900<<10) // ~1.2 MB each once base64-encoded
	res, err := NewInvoke(fn, "f", "").Reprocess(context.Background(), testSource, recs)
	if err != nil || res.Handled != 12 {
		t.Fatalf("Reprocess = %+v, %v", res, err)
	}
	if len(fn.events) < 3 {
		t.Errorf("%d invocations for 12 records of 1.2 MB, want at least 3", len(fn.events))
	}
	var got []string
	for i, ev := range fn.events {
		if fn.sizes[i] > kinesisevent.PayloadLimit {
			t.Errorf("invocation %d is %d bytes", i, fn.sizes[i])
		}
		for _, r := range ev.Records {
			got = append(got, r.Kinesis.SequenceNumber)
		}
	}
	// Each cut was needed: the next event's first record would not have fitted.
	for i := 0; i+1 < len(fn.events); i++ {
		if fn.sizes[i]+fn.sizes[i+1]/len(fn.events[i+1].Records) <= kinesisevent.PayloadLimit {
			t.Errorf("invocation %d (%d bytes) was cut with room for another record", i, fn.sizes[i])
		}
	}
	if strings.Join(got, ",") != strings.Join(seqs(1, 12), ",") {
		t.Errorf("records sent %v", got)
	}
}

// A partial failure in a later event counts the earlier events' records as handled.
func TestInvokeCountsAcrossEvents(t *testing.T) {
	recs := testRecords(8, 2<<20) // ~2.7 MB each once base64-encoded: two per event
	fn := &fakeLambda{respond: func(call int, ev events.KinesisEvent) (*lambda.InvokeOutput, error) {
		if call == 1 {
			return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"` +
				ev.Records[1].Kinesis.SequenceNumber + `"}]}`)}, nil
		}
		return &lambda.InvokeOutput{StatusCode: 200}, nil
	}}
	res, err := NewInvoke(fn, "f", "").Reprocess(context.Background(), testSource, recs)
	if err == nil || res.Handled != 3 || len(fn.events) != 2 {
		t.Fatalf("Reprocess = %+v, %v after %d invocations", res, err, len(fn.events))
	}
}

func TestInvokeRejectsRecordOverTheLimit(t *testing.T) {
	fn := &fakeLambda{}
	recs := testRecords(2, 5<<20) // 6.7 MB once base64-encoded
	res, err := NewInvoke(fn, "f", "").Reprocess(context.Background(), testSource, recs)
	if err == nil || res.Handled != 0 || !strings.Contains(err.Error(), "--mode direct") || len(fn.events) != 0 {
		t.Fatalf("Reprocess = %+v, %v", res, err)
	}
}
