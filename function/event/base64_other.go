//go:build !amd64

package event

import "encoding/base64"

// quickBase64 is encoding/base64's decoder where segmentio/asm's assembly is not held to it by a test (see
// base64_amd64.go).
var quickBase64 = base64.StdEncoding.Decode
