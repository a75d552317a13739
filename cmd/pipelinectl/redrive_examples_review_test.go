package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// redrive -h's examples are what an operator paged at night copies. They name the default stack's queue
// kinesis2s3-dlq, but terraform/ names the on-failure queue <name>-on-failure (module "dlq" in main.tf), so with the
// default name the copied command fails with NonExistentQueue. Every queue and function an example names must be
// the default stack's.
func TestRedriveExamplesNameTheDefaultStacksResources(t *testing.T) {
	vars, err := os.ReadFile("../../terraform/variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	mainTF, err := os.ReadFile("../../terraform/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`(?s)variable "name" \{.*?default\s*=\s*"([^"]+)"`).FindSubmatch(vars)
	queue := regexp.MustCompile(`(?s)module "dlq" \{.*?\n\s*name\s*=\s*"\$\{var\.name\}([^"]*)"`).FindSubmatch(mainTF)
	if name == nil || queue == nil {
		t.Fatal("terraform/: cannot find the default name or the on-failure queue's name")
	}
	wantQueue, wantFunction := string(name[1])+string(queue[1]), string(name[1])

	_, usage, _ := runCmd(t, "redrive", "-h")
	help := strings.Join(regexp.MustCompile(`(?m)^  pipelinectl redrive .*$`).FindAllString(usage, -1), "\n")
	if help == "" {
		t.Fatal("redrive -h has no examples")
	}
	for _, m := range regexp.MustCompile(`-queue-name (\S+)`).FindAllStringSubmatch(help, -1) {
		if m[1] != wantQueue {
			t.Errorf("redrive -h example: -queue-name %s; the default stack's queue is %s", m[1], wantQueue)
		}
	}
	for _, m := range regexp.MustCompile(`-(?:config-from-)?function (\S+)`).FindAllStringSubmatch(help, -1) {
		if m[1] != wantFunction {
			t.Errorf("redrive -h example: -function %s; the default stack's function is %s", m[1], wantFunction)
		}
	}
}
