package emulators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// FunctionErrorUnhandled is the FunctionError of every failed invocation, as Lambda's X-Amz-Function-Error
// header reports it for functions using the Runtime API.
const FunctionErrorUnhandled = "Unhandled"

// InvokeResult is the outcome of one invocation, in the terms of Lambda's Invoke API.
//
// The RIE does not say as much as Lambda does: it drops the X-Amz-Function-Error header, answers 200 both for
// success and for an error the handler returned, and reports a timeout as plain text. What it does send (checked
// against the pinned RIE, see result_test.go) is mapped as follows:
//
//	200, error object ({"errorMessage","errorType"[,"stackTrace"]})  handler returned an error: Unhandled
//	200, "Task timed out after N.00 seconds"                         timeout: Unhandled, TimedOut, Sandbox.Timedout
//	200, anything else                                               success
//	502, error object                                                panic, runtime exit, or init error: Unhandled
//	502, empty body                                                  init failed without reporting why: Unhandled, Runtime.Unknown
//
// A handler whose successful response is itself an error object would therefore read as failed; the kinesis2s3
// function never returns one.
type InvokeResult struct {
	// Payload is the function's response. When FunctionError is set it is a Lambda error object
	// ({"errorType":...,"errorMessage":...}); for a timeout or an empty 502, which the RIE does not send as one,
	// it is the object Lambda would have sent.
	Payload []byte
	// FunctionError is "" on success, otherwise FunctionErrorUnhandled.
	FunctionError string
	// ErrorType and ErrorMessage are read from the error object (e.g. "errorString", "Runtime.ExitError",
	// "Sandbox.Timedout").
	ErrorType, ErrorMessage string
	// TimedOut reports that the function ran into its timeout; the RIE restarts the bootstrap on the next
	// invocation (a cold start).
	TimedOut bool
	// StatusCode is the RIE's HTTP status: 200 or 502.
	StatusCode int
	// Instance is the execution environment that ran the invocation (0 to Instances-1).
	Instance int
	// Duration is the invocation's wall-clock time, including a cold start.
	Duration time.Duration
	// Log is what the instance logged during the invocation, at most the last 64 KiB: the RIE's START, END and
	// REPORT lines and the function's stdout and stderr.
	Log []byte
}

// errorObject is the body Lambda and the RIE use for a failed invocation.
type errorObject struct {
	ErrorType    string          `json:"errorType"`
	ErrorMessage string          `json:"errorMessage"`
	StackTrace   json.RawMessage `json:"stackTrace,omitempty"`
}

// classify maps an RIE response to a result. Any status other than 200 and 502 is the RIE refusing the
// invocation (400: already busy; 500: internal error; 504: reservation lost), which is an error, not a result.
func classify(status int, body []byte) (InvokeResult, error) {
	res := InvokeResult{StatusCode: status, Payload: body}
	switch status {
	case http.StatusOK:
		if msg, ok := timeoutMessage(body); ok {
			res.TimedOut = true
			res.fail("Sandbox.Timedout", msg)
		} else if e, ok := parseErrorObject(body); ok {
			res.FunctionError, res.ErrorType, res.ErrorMessage = FunctionErrorUnhandled, e.ErrorType, e.ErrorMessage
		}
	case http.StatusBadGateway:
		if e, ok := parseErrorObject(body); ok {
			res.FunctionError, res.ErrorType, res.ErrorMessage = FunctionErrorUnhandled, e.ErrorType, e.ErrorMessage
		} else {
			res.fail("Runtime.Unknown", fmt.Sprintf("the runtime failed without an error object (RIE: HTTP 502, body %q): "+
				"it exited during init or crashed; see the instance log", truncate(body, 200)))
		}
	default:
		return res, fmt.Errorf("RIE answered HTTP %d: %q", status, truncate(body, 500))
	}
	return res, nil
}

// fail marks res as failed with an error object the RIE did not provide.
func (res *InvokeResult) fail(errType, msg string) {
	res.FunctionError, res.ErrorType, res.ErrorMessage = FunctionErrorUnhandled, errType, msg
	res.Payload, _ = json.Marshal(errorObject{ErrorType: errType, ErrorMessage: msg}) // two strings: cannot fail
}

// timeoutMessage recognises the RIE's plain-text timeout report. A JSON response cannot start with "Task".
func timeoutMessage(body []byte) (string, bool) {
	if bytes.HasPrefix(body, []byte("Task timed out after ")) && bytes.HasSuffix(body, []byte(" seconds")) && len(body) < 100 {
		return string(body), true
	}
	return "", false
}

// parseErrorObject accepts a JSON object with string errorType and errorMessage and no fields beyond those of
// an error object.
func parseErrorObject(body []byte) (errorObject, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return errorObject{}, false
	}
	for k := range fields {
		switch k {
		case "errorType", "errorMessage", "stackTrace":
		default:
			return errorObject{}, false
		}
	}
	var e errorObject
	if json.Unmarshal(fields["errorType"], &e.ErrorType) != nil || json.Unmarshal(fields["errorMessage"], &e.ErrorMessage) != nil {
		return errorObject{}, false
	}
	return e, true
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
