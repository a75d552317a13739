package terraform

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The deployer's permissions in README.md's Prerequisites have a row for each service the configuration (modules and
// examples) creates resources in, so that a new kind of resource cannot leave the list behind, as KMS, SNS, Glue and
// Athena once were.
func TestReadmeNamesEveryServiceTheDeployerManages(t *testing.T) {
	// The resource types' prefixes, longest first, and the row that covers them.
	services := []struct{ prefix, row string }{
		{"aws_cloudwatch_log_", "CloudWatch Logs"},
		{"aws_cloudwatch_", "CloudWatch"},
		{"aws_kinesis_", "Kinesis"},
		{"aws_lambda_", "Lambda"},
		{"aws_iam_", "IAM"},
		{"aws_s3_", "S3"},
		{"aws_sqs_", "SQS"},
		{"aws_sns_", "SNS"},
		{"aws_kms_", "KMS"},
		{"aws_glue_", "Glue"},
		{"aws_athena_", "Athena"},
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  \| ([A-Za-z0-9 ]+) \|`).FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = true
	}
	resource := regexp.MustCompile(`(?m)^resource "([a-z0-9_]+)"`)
	seen := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".terraform":
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".tf"):
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range resource.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 10 {
		t.Fatalf("found only %d resource types under terraform/: the walk is not reading the configuration", len(seen))
	}
	for typ := range seen {
		row := ""
		for _, s := range services {
			if strings.HasPrefix(typ, s.prefix) {
				row = s.row
				break
			}
		}
		switch {
		case row == "":
			t.Errorf("%s: a service this test does not know; add it to the deployer's permissions in README.md and here", typ)
		case !rows[row]:
			t.Errorf("%s: README.md's deployer permissions have no %q row", typ, row)
		}
	}
}
