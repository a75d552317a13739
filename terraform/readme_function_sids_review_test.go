package terraform

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// modules/function/README.md tables the execution role's statements, one row per Sid, and says "s3:GetObject only on
// the progress markers". The role also has ReadSchema (s3:GetObject on the SCHEMA object, with schema_file), which
// the table leaves out: a reviewer of the README's least-privilege claim does not see the second readable object.
func TestFunctionReadmeTablesEveryStatementOfTheRole(t *testing.T) {
	src, err := os.ReadFile("modules/function/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("modules/function/README.md")
	if err != nil {
		t.Fatal(err)
	}
	sids := regexp.MustCompile(`Sid\s*=\s*"([A-Za-z]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(sids) < 8 {
		t.Fatalf("found only %d Sids in modules/function/main.tf: the pattern no longer reads the policy", len(sids))
	}
	for _, m := range sids {
		if !strings.Contains(string(readme), "`"+m[1]+"`") {
			t.Errorf("modules/function/README.md's role table has no row for the statement %s", m[1])
		}
	}
}
