package event

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// A record whose own value (event ID, partition key, arrival time) is given a second time, in a form the quick
// read does not take (escaped, null, an exponent), has the second value, as encoding/json reads it; so has the
// record after it, whose bytes are the same but for its own values.
func TestShapeDuplicateKeyLastWins(t *testing.T) {
	first, second := lambdaRecord(t, 1), lambdaRecord(t, 22)
	for _, change := range [][2]string{
		{`},"eventSource"`, `,"partitionKey":"\u0078"},"eventSource"`},
		{`,"eventName"`, `,"eventID":"\u0079","eventName"`},
		{`},"eventSource"`, `,"approximateArrivalTimestamp":1e3},"eventSource"`},
		{`},"eventSource"`, `,"approximateArrivalTimestamp":null},"eventSource"`},
	} {
		if !strings.Contains(first, change[0]) || !strings.Contains(second, change[0]) {
			t.Fatalf("no %s in %s", change[0], second)
		}
		a, b := strings.Replace(first, change[0], change[1], 1), strings.Replace(second, change[0], change[1], 1)
		t.Run(change[1], func(t *testing.T) { same(t, events1(a, b)) })
	}
}

// A Decoder is reused from invocation to invocation (the handler keeps them in a sync.Pool): an event whose first
// record is not an object must not size its buffers from where the previous event's first record was. Here the
// previous event's first record starts where this event's first object ends, or a byte after.
func TestReuseAfterFirstRecordNotAnObject(t *testing.T) {
	rec := lambdaRecord(t, 1)
	second := []byte(`{"Records":[null,` + rec + `,` + rec + `]}`)
	end := len(`{"Records":[null,`) + len(rec) // where this event's first object ends
	for _, first := range []int{end, end + 1} {
		pad := first - len(`{"padding":"","Records":[`)
		previous := []byte(`{"padding":"` + strings.Repeat("p", pad) + `","Records":[` + rec + `]}`)
		var d Decoder
		if _, err := d.Decode(previous); err != nil {
			t.Fatal(err)
		}
		want, wantErr := lambdaGo(second)
		var got any
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			got, err = d.Decode(second)
		}()
		if err != nil || wantErr != nil || !reflect.DeepEqual(got, want.Records) {
			t.Errorf("after an event whose first record is at byte %d: %v (encoding/json: %v)", first, err, wantErr)
		}
	}
}

// A Decoder kept for the next invocation refers to nothing of the payload it decoded (the package doc's promise):
// the shape it read the records by included.
func TestDecoderKeepsNoPayload(t *testing.T) {
	var d Decoder
	ev := lambdaEvent(t, 3)
	if _, err := d.Decode(ev); err != nil {
		t.Fatal(err)
	}
	if d.shape.idPrefix != nil || d.src != nil {
		t.Fatalf("the decoder still refers to the payload: idPrefix %q", d.shape.idPrefix)
	}
}
