package kinesisevent

import (
	"testing"
)

func TestParseResponse(t *testing.T) {
	seqs := []string{"100", "200", "300", "1000"}
	for _, tc := range []struct {
		name, body string
		want       int // index of the first record to retry; -1 for a whole-batch failure
	}{
		{"empty response", ``, 4},
		{"null response", `null`, 4},
		{"empty object", `{}`, 4},
		{"null list", `{"batchItemFailures":null}`, 4},
		{"empty list", `{"batchItemFailures":[]}`, 4},
		{"misspelt list key reads as no list", `{"batchItemFailure":[{"itemIdentifier":"200"}]}`, 4},
		{"one failure", `{"batchItemFailures":[{"itemIdentifier":"200"}]}`, 1},
		{"lowest of several", `{"batchItemFailures":[{"itemIdentifier":"1000"},{"itemIdentifier":"300"},{"itemIdentifier":"200"}]}`, 1},
		{"lowest compares numerically", `{"batchItemFailures":[{"itemIdentifier":"1000"},{"itemIdentifier":"300"}]}`, 2},
		{"first record", `{"batchItemFailures":[{"itemIdentifier":"100"}]}`, 0},
		{"extra fields ignored", `{"batchItemFailures":[{"itemIdentifier":"300","reason":"x"}],"other":1}`, 2},
		{"empty identifier", `{"batchItemFailures":[{"itemIdentifier":""}]}`, -1},
		{"null identifier", `{"batchItemFailures":[{"itemIdentifier":null}]}`, -1},
		{"bad key name", `{"batchItemFailures":[{"itemIdentifer":"200"}]}`, -1},
		{"one bad among good", `{"batchItemFailures":[{"itemIdentifier":"200"},{"itemIdentifier":""}]}`, -1},
		{"numeric identifier", `{"batchItemFailures":[{"itemIdentifier":200}]}`, -1},
		{"not a sequence number", `{"batchItemFailures":[{"itemIdentifier":"shardId-0:200"}]}`, -1},
		{"unknown identifier", `{"batchItemFailures":[{"itemIdentifier":"250"}]}`, -1},
		{"unknown among known", `{"batchItemFailures":[{"itemIdentifier":"300"},{"itemIdentifier":"50"}]}`, -1},
		{"list is an object", `{"batchItemFailures":{"itemIdentifier":"200"}}`, -1},
		{"unparseable", `{"batchItemFailures":[`, -1},
		{"string response", `"ok"`, -1},
		{"array response", `[]`, -1},
	} {
		got, err := ParseResponse([]byte(tc.body), seqs)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("%s: %s → retry from %d, want a whole-batch failure", tc.name, tc.body, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %s → %d, %v; want %d", tc.name, tc.body, got, err, tc.want)
		}
	}
}
