package terraform

import (
	"os"
	"strings"
	"testing"
)

// The handler quarantines records for their JSON and UTF-8, and also for the schema, the transform and the partition
// keys: the records-quarantined alarm's description and the alarms README must not say "not valid JSON" alone.
func TestQuarantinedAlarmSaysWhatIsQuarantined(t *testing.T) {
	for _, f := range []string{"modules/alarms/main.tf", "modules/alarms/README.md"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "not valid JSON") {
			t.Errorf("%s says quarantined records are not valid JSON; schema, transform and partition failures are quarantined too", f)
		}
		for _, cause := range []string{"schema", "transform", "partition"} {
			if !strings.Contains(string(src), "the "+cause) {
				t.Errorf("%s does not name %s failures among the quarantined records", f, cause)
			}
		}
	}
}
