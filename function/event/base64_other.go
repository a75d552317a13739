//go:build !amd64 && !arm64

package event

import "encoding/base64"

// quickBase64 is encoding/base64's decoder where segmentio/asm has no assembly (see base64_fast.go).
var quickBase64 = base64.StdEncoding.Decode
