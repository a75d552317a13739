package process

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The README's Observability section says what each metric counts, in a table by hand; it must list exactly the
// metrics the handler emits, so that a user building an alarm or a query knows what exists and what it means
// (RecordsDropped and EventTimesMissing were emitted, not listed).
func TestReadmeListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "### Observability")
	section, _, _ = strings.Cut(section, "\n## ")
	var listed []string // the names in the first column of the table's rows
	for _, line := range strings.Split(section, "\n") {
		if first, ok := strings.CutPrefix(line, "| `"); ok {
			first, _, _ = strings.Cut(first, " |")
			for _, name := range regexp.MustCompile("[A-Za-z]+").FindAllString(first, -1) {
				listed = append(listed, name)
			}
		}
	}
	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct{ Metrics []struct{ Name string } }
		} `json:"_aws"`
	}
	if err := json.Unmarshal(Metrics{}.EMF("fn", "INFO", time.Unix(0, 0)), &doc); err != nil || len(doc.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("EMF line: %v", err)
	}
	var emitted []string
	for _, m := range doc.AWS.CloudWatchMetrics[0].Metrics {
		emitted = append(emitted, m.Name)
	}
	slices.Sort(listed)
	slices.Sort(emitted)
	if !slices.Equal(listed, emitted) {
		t.Errorf("README.md, Observability: the table lists the metrics\n%q\nthe handler emits\n%q", listed, emitted)
	}
}
