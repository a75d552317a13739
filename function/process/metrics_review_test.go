package process

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// The README's Observability section lists the metrics by hand; it must list every one the handler emits, so that a
// user building an alarm or a query knows they exist (RecordsDropped and EventTimesMissing are emitted, not listed).
func TestReadmeListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "### Observability")
	section, _, _ = strings.Cut(section, "\n## ")
	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct{ Metrics []struct{ Name string } }
		} `json:"_aws"`
	}
	if err := json.Unmarshal(Metrics{}.EMF("fn", "INFO", time.Unix(0, 0)), &doc); err != nil || len(doc.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("EMF line: %v", err)
	}
	for _, m := range doc.AWS.CloudWatchMetrics[0].Metrics {
		if !strings.Contains(section, "`"+m.Name+"`") {
			t.Errorf("README.md, Observability: the metric %s is emitted but not listed", m.Name)
		}
	}
}
