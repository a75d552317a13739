package localpipeline

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// S3Faults is a reverse proxy between the function and the S3 emulator that can make object uploads fail, to
// play an S3 outage (or a brown-out) while the pipeline runs. Everything else passes through untouched.
//
// A failed upload gets what S3 answers when it sheds load: HTTP 503 with a SlowDown error. The SDK in the
// function retries that itself, then gives up, and the function reports a partial batch failure: exactly the
// path a real outage takes.
type S3Faults struct {
	// URL is the proxy's endpoint; the function's AWS_ENDPOINT_URL_S3 points here.
	URL string

	failFraction atomic.Uint64 // math.Float64bits of the share of uploads to fail
	failed       atomic.Int64
	passed       atomic.Int64
	srv          *http.Server
	done         chan struct{}
}

// startS3Faults listens on a free loopback port and forwards to target (the emulator's endpoint).
func startS3Faults(target string) (*S3Faults, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("s3 fault proxy: target %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("s3 fault proxy: %w", err)
	}
	f := &S3Faults{URL: "http://" + ln.Addr().String(), done: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(u)
	f.srv = &http.Server{Handler: f.handler(proxy), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(f.done)
		// Serve ends with ErrServerClosed on close; any other end breaks the function's uploads, which shows.
		_ = f.srv.Serve(ln)
	}()
	return f, nil
}

// FailPuts makes the given share of object uploads (0 to 1) fail from now on: 1 is an outage, 0 recovery.
func (f *S3Faults) FailPuts(fraction float64) {
	fraction = math.Min(math.Max(fraction, 0), 1)
	f.failFraction.Store(math.Float64bits(fraction))
}

// Failed is the number of uploads failed so far; Passed the number of uploads let through.
func (f *S3Faults) Failed() int64 { return f.failed.Load() }

// Passed is the number of uploads the proxy forwarded to S3.
func (f *S3Faults) Passed() int64 { return f.passed.Load() }

func (f *S3Faults) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isPutObject(r) {
			next.ServeHTTP(w, r)
			return
		}
		fraction := math.Float64frombits(f.failFraction.Load())
		if fraction == 0 || rand.Float64() >= fraction {
			f.passed.Add(1)
			next.ServeHTTP(w, r)
			return
		}
		f.failed.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // read the upload, as S3 does, so the connection stays usable
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
			`<Error><Code>SlowDown</Code><Message>Please reduce your request rate. (injected by the local fault proxy)</Message></Error>`)
	})
}

// isPutObject recognises a path-style PutObject: PUT /<bucket>/<key> without a sub-resource query (such as
// ?tagging or a multipart part) that would make it another operation.
func isPutObject(r *http.Request) bool {
	if r.Method != http.MethodPut {
		return false
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || bucket == "" || key == "" {
		return false
	}
	for q := range r.URL.Query() {
		if q != "x-id" { // the SDK tags operations with ?x-id=PutObject
			return false
		}
	}
	return true
}

// close stops the proxy.
func (f *S3Faults) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if f.srv.Shutdown(ctx) != nil {
		f.srv.Close()
	}
	<-f.done
}
