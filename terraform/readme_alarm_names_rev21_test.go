package terraform

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The on-call engineer is paged by an alarm's name, "<name>-<kind>" (modules/alarms: alarm_name =
// "${var.name_prefix}-${each.key}"), and turns to the README's Operations › Alarms table for what to do. Each row must
// name the alarm as CloudWatch shows it, so that the page can be looked up; the table said "iterator age",
// "DLQ not empty (SQS)", ... and named none of them.
func TestReadmeAlarmTableNamesTheAlarmsAsTerraformDoes(t *testing.T) {
	src, err := os.ReadFile("modules/alarms/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	kinds := regexp.MustCompile(`(?m)^\s+"([a-z0-9-]+)" = \{$`).FindAllStringSubmatch(string(src), -1)
	if len(kinds) < 9 {
		t.Fatalf("found %d alarm kinds in modules/alarms/main.tf, want at least 9: the pattern no longer matches", len(kinds))
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Alarms\n")
	if !ok {
		t.Fatal("README.md has no ### Alarms section")
	}
	section, _, _ = strings.Cut(section, "\n### ")
	var rows []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| ") {
			rows = append(rows, line)
		}
	}
	for _, k := range kinds {
		kind := k[1]
		found := false
		for _, row := range rows {
			first, _, _ := strings.Cut(strings.TrimPrefix(row, "| "), " |")
			if strings.Contains(first, "-"+kind+"`") || strings.Contains(first, "`"+kind+"`") {
				found = true
			}
		}
		if !found {
			t.Errorf("README.md's Alarms table has no row whose alarm column names %q (CloudWatch shows it as `<name>-%s`)", kind, kind)
		}
	}
}
