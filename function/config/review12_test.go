package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeysThatS3CannotTakeFailTheColdStart (review 12): S3 refuses object keys over 1,024 bytes (KeyTooLongError, a
// 400 that no retry mends). A batch key is KEY_PREFIX, one name=value/ level per PARTITION_KEYS pair (values up to 64
// bytes), year=/month=/day=/hour=/ and <shardId>-<firstSequenceNumber>.jsonl.zst. Nothing bounds KEY_PREFIX, so a
// long prefix with long key names loads fine and then every PUT of the partitioned records fails, invocation after
// invocation, until the records leave for the on-failure destination: a configuration error that must fail the cold
// start, naming the variables.
func TestKeysThatS3CannotTakeFailTheColdStart(t *testing.T) {
	var keys []string
	for i := range 5 {
		keys = append(keys, fmt.Sprintf("%s%d=.k%d", strings.Repeat("k", 60), i, i))
	}
	for name, kv := range map[string]map[string]string{
		"prefix alone":         {"KEY_PREFIX": strings.Repeat("p", 1000) + "/"},
		"prefix and key names": {"KEY_PREFIX": strings.Repeat("p", 300) + "/", "PARTITION_KEYS": strings.Join(keys, ",")},
	} {
		kv["BUCKET_NAME"], kv["OUTPUT_MODE"] = "b", "batch"
		_, err := Load(env(kv))
		if err == nil || !strings.Contains(err.Error(), "KEY_PREFIX") {
			t.Errorf("%s: Load: %v; want an error naming KEY_PREFIX: the object keys can pass S3's 1,024 bytes", name, err)
		}
	}
}
