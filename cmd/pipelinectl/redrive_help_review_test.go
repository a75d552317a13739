package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// The flag package shows the first back-quoted word of a flag's usage as the name of its argument, and removes
// only that pair of back quotes. The direct-mode flags take their usage from function/config's documentation, whose
// back-quoted words are examples and other variables' names, so `redrive -h` showed -key-prefix /, -schema parquet,
// -transform empty, -format SCHEMA or -output-mode FORMAT, with stray back quotes in the text. Each argument's name
// must say what the flag takes, and no back quote may be left over.
func TestRedriveHelpNamesEachFlagsArgument(t *testing.T) {
	var f redriveFlags
	fs := redriveFlagSet(io.Discard, &f)
	// The names the code means to show (handlerUsage: the last word of the variable's Values, upper case). Any other
	// flag (a fixed set of values, a number) shows its type, as the flag package does without a back-quoted word.
	want := map[string]string{
		"queue-url": "URL", "queue-name": "NAME", "source": "s3://BUCKET/PREFIX", "max-messages": "N",
		"function": "NAME", "config-from-function": "NAME",
		"bucket": "NAME", "key-prefix": "PREFIX", "error-prefix": "PREFIX", "schema": "URI",
		"transform": "EXPRESSION", "time-field": "PATH", "partition-keys": "PAIRS",
	}
	fs.VisitAll(func(fl *flag.Flag) {
		name, usage := flag.UnquoteUsage(fl)
		w, ok := want[fl.Name]
		if !ok {
			w, _ = flag.UnquoteUsage(&flag.Flag{Name: fl.Name, Value: fl.Value})
		}
		if name != w {
			t.Errorf("redrive -h shows -%s %s; want -%s %s", fl.Name, name, fl.Name, w)
		}
		if strings.Contains(usage, "`") {
			t.Errorf("redrive -h: -%s's text keeps back quotes: %q", fl.Name, usage)
		}
	})
}
