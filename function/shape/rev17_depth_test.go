package shape

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// rev17: the schema's fast path counts depth differently on the tree (ValidateAtMost's walk: one more for each
// member and for each $ref it follows, giving up past 64) and in the transform writer's Check steps (checkOf follows a
// node that is only a $ref without counting it). With a chain of definitions, each an object whose member is a $ref
// to the next, a record nested 40 deep is 80 deep for the tree walk and 40 for the Check: the transform's output is
// then validated by the Check alone, while the reference (gojq's output, ValidateAtMost) is not sure of it and takes it
// to the library, whose LibraryValues cap quarantines a record of more values ("not checked").
func TestRev17CheckDepthAgreesWithTheTreeWalk(t *testing.T) {
	const levels = 40
	var defs []string
	for i := range levels {
		defs = append(defs, fmt.Sprintf(`"l%d": {"type": "object", "properties": {"c": {"$ref": "#/$defs/l%d"}}}`, i, i+1))
	}
	defs = append(defs, fmt.Sprintf(`"l%d": {"type": "object"}`, levels))
	s, err := schema.Compile([]byte(`{"$ref": "#/$defs/l0", "$defs": {`+strings.Join(defs, ", ")+`}}`), "mem://chain.json")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transform.Compile(`.x = 1`)
	if err != nil {
		t.Fatal(err)
	}
	// 5,001 elements beside the nesting: more values than budget.For(128).Library.
	data := []byte(`{"big":[` + strings.TrimSuffix(strings.Repeat("1,", 5001), ",") + `],` +
		strings.Repeat(`"c":{`, levels) + `}` + strings.Repeat(`}`, levels))
	agreesWithReference(t, tr, s, data)
}
