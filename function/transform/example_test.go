package transform_test

import (
	"context"
	"fmt"

	"github.com/itchyny/gojq"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/transform"
)

// A transform runs natively when it can, and on gojq otherwise, with the same output.
func ExampleTransform_ApplyNative() {
	t, err := transform.Compile(`del(.user.email) | .duration_s = (.duration_ms / 1000)`)
	if err != nil {
		panic(err)
	}
	var s transform.Scratch
	for _, record := range []string{
		`{"user": {"id": 7, "email": "a@example.com"}, "duration_ms": 1234}`,
		`{"user": "seven", "duration_ms": 1234}`, // del(.user.email) is a type error: gojq says which
	} {
		v, err := jsonvalue.Decode([]byte(record))
		if err != nil {
			panic(err)
		}
		if _, text, ok := t.ApplyNative(v, &s); ok {
			fmt.Printf("native: %s\n", text)
			continue
		}
		out, _, err := t.Apply(context.Background(), v.Any())
		if err != nil {
			fmt.Println("gojq:", err)
			continue
		}
		text, _ := gojq.Marshal(out)
		fmt.Printf("gojq: %s\n", text)
	}
	// Output:
	// native: {"duration_ms":1234,"duration_s":1.234,"user":{"id":7}}
	// gojq: transform: expected an object but got: string ("seven")
}
