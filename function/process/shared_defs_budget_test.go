package process

import (
	"fmt"
	"strings"
	"testing"
)

// The library's evaluations were first counted only for schemas that reach themselves (4b25cf3). A schema without
// recursion can make it evaluate a value as many times: unions that share a definition ($defs) make a graph of
// paths, and the library takes every path, collecting the errors of each. Seven nested two-way unions over one
// shared definition are 128 evaluations of every element; an array of 2,000 numbers (a 4 KB record, 2,002 values,
// well under budget.Library's 28,672) peaked at 270 MiB of live heap and took 24 s (eight unions: 524 MiB, 65 s),
// over the 224 MiB Go memory limit of a 512 MB function. The count is now made for every schema that branches
// (from a review).
func TestSchemaWithSharedDefinitionsStaysInBudget(t *testing.T) {
	const levels = 7
	var defs []string
	for i := range levels {
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d","minimum":5}]}`, i, i+1, i+1))
	}
	defs = append(defs, fmt.Sprintf(`"d%d":{"type":"object"}`, levels))
	s := `{"type":"object","properties":{"xs":{"type":"array","items":{"$ref":"#/$defs/d0"}}},"$defs":{` +
		strings.Join(defs, ",") + `}}`
	m, reason, peak := processRecursive(t, s, `{"xs":[`+strings.Repeat(`1,`, 1999)+`1]}`)
	if m.RecordsQuarantined != 1 || !strings.Contains(reason, "not checked") {
		t.Fatalf("metrics %+v, reason %q: want the record quarantined unchecked", m, reason)
	}
	t.Logf("live heap peaked at %d MiB", peak>>20)
}
