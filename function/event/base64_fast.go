//go:build amd64 || arm64

package event

import fastbase64 "github.com/segmentio/asm/base64"

// quickBase64 is segmentio/asm's base64 decoder, several times faster than encoding/base64 with AVX2 on the base64
// that is most of an event: it decodes whole blocks of 32 letters while they are all base64 letters, and hands the
// rest of the value to encoding/base64 from that four-letter boundary, so it gives the same bytes and fails on the
// same values (FuzzFastBase64 and TestFastBase64Random hold the two together). It stores 32 bytes for each 24 it
// decodes, but only while 45 letters or more are left, which decode to more than 32 bytes: never past what dst has
// room for. On amd64 (AVX2) and arm64 (NEON, the function's architecture, checked by make test-arm64 under qemu);
// elsewhere Go's own decoder.
var quickBase64 = fastbase64.StdEncoding.Decode
