package redrive

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/kinesisevent"
)

// Lambda is the part of *lambda.Client the Invoke reprocessor uses.
type Lambda interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Invoke reprocesses records by invoking the deployed function synchronously (RequestResponse) with the
// Kinesis event Lambda's event source mapping would send, and reads its partial batch response. Batches are
// cut so that each event fits the 6 MB invocation payload limit.
type Invoke struct {
	api      Lambda
	function string // name, ARN or partial ARN, optionally with :version or :alias
	identity string // invokeIdentityArn of the events
}

// NewInvoke returns a reprocessor invoking function (a name, ARN or partial ARN, optionally with a version
// or alias qualifier). invokeIdentityARN is the events' invokeIdentityArn: the function's execution role, as
// Lambda sends it; the kinesis2s3 handler does not read it.
func NewInvoke(api Lambda, function, invokeIdentityARN string) *Invoke {
	return &Invoke{api: api, function: function, identity: invokeIdentityARN}
}

// Reprocess invokes the function with recs, in as many events as the payload limit needs, one after the
// other; it stops at the first failure.
func (v *Invoke) Reprocess(ctx context.Context, src kinesisevent.Source, recs []kinesisevent.Record) (Result, error) {
	src.InvokeIdentityARN = v.identity
	encoded, err := src.EncodeRecords(recs)
	if err != nil {
		return Result{}, err
	}
	done := 0
	for done < len(recs) {
		n, sum := 0, 0
		for done+n < len(recs) && (n == 0 || kinesisevent.PayloadSize(n+1, sum+len(encoded[done+n])) <= kinesisevent.PayloadLimit) {
			sum += len(encoded[done+n])
			n++
		}
		if size := kinesisevent.PayloadSize(n, sum); size > kinesisevent.PayloadLimit {
			return Result{Handled: done}, fmt.Errorf("record %s alone makes a %d-byte event, over Lambda's %d-byte "+
				"invocation limit: redrive it with --mode direct", recs[done].SequenceNumber, size, kinesisevent.PayloadLimit)
		}
		seqs := make([]string, n)
		for i := range n {
			seqs[i] = recs[done+i].SequenceNumber
		}
		handled, err := v.invoke(ctx, kinesisevent.Payload(encoded[done:done+n]), seqs)
		done += handled
		if err != nil {
			return Result{Handled: done}, err
		}
	}
	return Result{Handled: done}, nil
}

// invoke sends one event and returns how many of its records, from the first, the function handled.
func (v *Invoke) invoke(ctx context.Context, payload []byte, seqs []string) (int, error) {
	out, err := v.api.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(v.function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return 0, fmt.Errorf("invoke %s: %w", v.function, err)
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		return 0, fmt.Errorf("function error (%s): %s", fe, truncate(out.Payload, 300))
	}
	if isErrorObject(out.Payload) {
		// The Lambda RIE answers 200 without X-Amz-Function-Error when a handler returns an error; its body
		// is still Lambda's error object, which no successful kinesis2s3 response looks like.
		return 0, fmt.Errorf("function error: %s", truncate(out.Payload, 300))
	}
	first, err := kinesisevent.ParseResponse(out.Payload, seqs)
	if err != nil {
		return 0, fmt.Errorf("function response: %w: %s", err, truncate(out.Payload, 300))
	}
	if first < len(seqs) {
		return first, fmt.Errorf("function reported record %s as failed (batchItemFailures)", seqs[first])
	}
	return first, nil
}

// isErrorObject reports whether body is a Lambda error object: a JSON object with string errorMessage and
// errorType and nothing but those and stackTrace.
func isErrorObject(body []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || len(fields) == 0 {
		return false
	}
	for k := range fields {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" {
			return false
		}
	}
	var msg, typ string
	return json.Unmarshal(fields["errorMessage"], &msg) == nil && json.Unmarshal(fields["errorType"], &typ) == nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
