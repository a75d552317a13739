package kinesisevent

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/kinesis2s3/kinesis2s3/function/seqnum"
)

// ParseResponse reads a function's partial batch response (ReportBatchItemFailures) to an event whose
// records had the sequence numbers seqs, in order. It returns the index of the first record to retry:
// len(seqs) when the whole batch succeeded, or an error when the response makes the whole batch a failure.
//
// It follows Lambda's documented reading: an empty or null response, a missing or null list and an empty list
// are a complete success; an empty, null or misnamed itemIdentifier is a complete failure; with several
// failures the lowest sequence number is the checkpoint. Where AWS is silent it takes the safe reading: a
// response that is not a JSON object, or an identifier that is not a sequence number of the batch, fails the
// whole batch.
func ParseResponse(body []byte, seqs []string) (int, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return len(seqs), nil // empty or null EventResponse
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(body, &resp); err != nil {
		return 0, fmt.Errorf("response is not a JSON object: %w", err)
	}
	raw, ok := resp["batchItemFailures"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return len(seqs), nil // null list (a missing key reads as null)
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return 0, fmt.Errorf("batchItemFailures is not a list of objects: %w", err)
	}
	if len(items) == 0 {
		return len(seqs), nil // empty list
	}
	index := make(map[string]int, len(seqs))
	for i, s := range seqs {
		index[s] = i
	}
	first := len(seqs)
	for i, item := range items {
		idRaw, ok := item["itemIdentifier"]
		if !ok {
			return 0, fmt.Errorf("batchItemFailures[%d] has no itemIdentifier key", i)
		}
		var id *string
		if err := json.Unmarshal(idRaw, &id); err != nil {
			return 0, fmt.Errorf("batchItemFailures[%d].itemIdentifier is not a string: %w", i, err)
		}
		switch {
		case id == nil:
			return 0, fmt.Errorf("batchItemFailures[%d].itemIdentifier is null", i)
		case *id == "":
			return 0, fmt.Errorf("batchItemFailures[%d].itemIdentifier is empty", i)
		case !seqnum.Valid(*id):
			return 0, fmt.Errorf("batchItemFailures[%d].itemIdentifier %q is not a sequence number", i, *id)
		}
		j, ok := index[*id]
		if !ok {
			return 0, fmt.Errorf("batchItemFailures[%d].itemIdentifier %s is not a record of this batch", i, *id)
		}
		first = min(first, j) // the batch is in sequence order: the lowest index is the lowest sequence number
	}
	return first, nil
}
