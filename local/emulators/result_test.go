package emulators

import (
	"encoding/json"
	"testing"
)

// The bodies below are what the pinned RIE answered in TestFunctionOutcomes and TestFunctionInitFailure; this
// test pins the mapping of each, plus the cases those cannot produce.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name             string
		status           int
		body             string
		fnErr, errType   string
		timedOut, failed bool
	}{
		{name: "success", status: 200, body: `{"batchItemFailures":[]}`},
		{name: "returned error", status: 200, body: `{"errorMessage":"boom","errorType":"errorString"}`, fnErr: "Unhandled", errType: "errorString"},
		{name: "panic", status: 502, body: `{"errorMessage":"kaboom","errorType":"string","stackTrace":[{"path":"x.go","line":1,"label":"f"}]}`, fnErr: "Unhandled", errType: "string"},
		{name: "runtime exit", status: 502, body: `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 1 Error: Runtime exited with error: exit status 3"}`, fnErr: "Unhandled", errType: "Runtime.ExitError"},
		{name: "init error", status: 502, body: `{"errorMessage":"BUCKET_NAME is required","errorType":"Runtime.ConfigurationError"}`, fnErr: "Unhandled", errType: "Runtime.ConfigurationError"},
		{name: "init exit without report", status: 502, body: ``, fnErr: "Unhandled", errType: "Runtime.Unknown"},
		{name: "timeout", status: 200, body: `Task timed out after 2.00 seconds`, fnErr: "Unhandled", errType: "Sandbox.Timedout", timedOut: true},
		// A success that merely mentions errorMessage among other fields stays a success.
		{name: "response with errorMessage field", status: 200, body: `{"errorMessage":"none","count":3}`},
		{name: "error object without type", status: 200, body: `{"errorMessage":"x"}`},
		{name: "string response", status: 200, body: `"Task timed out after 2.00 seconds"`},
		{name: "RIE busy", status: 400, body: ``, failed: true},
		{name: "RIE internal error", status: 500, body: ``, failed: true},
	} {
		res, err := classify(c.status, []byte(c.body))
		if (err != nil) != c.failed {
			t.Errorf("%s: error %v, want error %v", c.name, err, c.failed)
			continue
		}
		if c.failed {
			continue
		}
		if res.FunctionError != c.fnErr || res.ErrorType != c.errType || res.TimedOut != c.timedOut || res.StatusCode != c.status {
			t.Errorf("%s: got FunctionError %q ErrorType %q TimedOut %v status %d; want %q %q %v %d",
				c.name, res.FunctionError, res.ErrorType, res.TimedOut, res.StatusCode, c.fnErr, c.errType, c.timedOut, c.status)
		}
		if c.fnErr == "" && string(res.Payload) != c.body {
			t.Errorf("%s: payload %q, want the body unchanged", c.name, res.Payload)
		}
		if c.fnErr != "" {
			var e errorObject
			if err := json.Unmarshal(res.Payload, &e); err != nil || e.ErrorType != c.errType || e.ErrorMessage == "" || e.ErrorMessage != res.ErrorMessage {
				t.Errorf("%s: payload %s is not the error object (%v)", c.name, res.Payload, err)
			}
		}
	}
}
