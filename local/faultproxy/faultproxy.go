// Package faultproxy is a reverse proxy for tests that sits between an AWS SDK client and an emulator and makes
// chosen requests fail the way a real service can: an HTTP 500 or 503, a connection closed without an answer, or a
// request that hangs.
// The failures are real, so the client's retries, and what the code under test does once they are exhausted,
// really happen. It also adds latency and counts what passes.
//
// Rules can be changed while requests flow. S3 requests are understood in path style (/bucket/key), which is
// how the tests address the emulator.
package faultproxy

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is how a failed request fails.
type Fault int

const (
	// InternalError answers HTTP 500 with an S3-style InternalError body. SDKs retry it.
	InternalError Fault = iota
	// SlowDown answers HTTP 503 SlowDown, S3's throttling error. SDKs retry it (and may slow down).
	SlowDown
	// CloseConnection closes the connection without an answer: a network failure to the client.
	CloseConnection
	// Stall holds the request without an answer until the client gives up on it (or the proxy closes), then
	// closes the connection: a request that hangs, as when a server or the network stops responding. A client
	// without a deadline waits for as long as its caller lets it — a Lambda function until its timeout.
	Stall
)

func (f Fault) String() string {
	switch f {
	case InternalError:
		return "InternalError"
	case SlowDown:
		return "SlowDown"
	case CloseConnection:
		return "CloseConnection"
	case Stall:
		return "Stall"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Request is what a rule sees of a request.
type Request struct {
	Method string
	Path   string // unescaped URL path
	Query  url.Values
	// Bucket and Key are the path-style S3 reading of Path: /bucket/key. Key is "" for bucket and service
	// requests (including every SQS or Kinesis request, which go to /).
	Bucket, Key string
}

// IsObjectPut reports whether the request writes an object: PutObject, UploadPart or CopyObject.
func (r Request) IsObjectPut() bool { return r.Method == http.MethodPut && r.Key != "" }

// Entry is one request that reached the proxy, as Requests reports it.
type Entry struct {
	Request
	Status int   // the status the client got; 0 when the connection was closed
	Fault  Fault // meaningful when Injected
	// Injected is true when the proxy failed the request rather than forwarding it.
	Injected bool
}

// Proxy is a running fault-injecting reverse proxy.
type Proxy struct {
	// URL is the proxy's address, to use as the client's endpoint in place of the target's.
	URL string

	server  *httptest.Server
	proxy   *httputil.ReverseProxy
	closing chan struct{} // closed by Close, to release stalled requests
	close   sync.Once

	mu      sync.Mutex
	rules   []*rule
	latency time.Duration
	log     []Entry
}

type rule struct {
	match  func(Request) bool
	faults []Fault // one of them, drawn at random, for each request failed
	left   int     // failures left; < 0 for unlimited
}

// New starts a proxy to target (e.g. "http://127.0.0.1:4566") on a free loopback port. Close stops it.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q is not an absolute URL", target)
	}
	p := &Proxy{closing: make(chan struct{})}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // the host the client signed
		},
		// A client that goes away mid-request (a runtime killed or timed out) is expected here, not worth a log
		// line on stderr; the entry's status says 502.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.server.URL
	return p, nil
}

// Close stops the proxy, closing any open connections.
func (p *Proxy) Close() {
	p.close.Do(func() {
		close(p.closing)
		p.server.Close()
	})
}

// Fail makes the requests for which match returns true fail with fault, the first times of them only if times
// is positive, each of them for as long as the rule stands if times is 0 or less. A nil match matches every
// request. Rules are tried in the order they were added; the first that matches decides.
func (p *Proxy) Fail(match func(Request) bool, fault Fault, times int) {
	if times <= 0 {
		times = -1
	}
	if match == nil {
		match = func(Request) bool { return true }
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{match: match, faults: []Fault{fault}, left: times})
}

// FailRandomly fails each request for which match returns true (every request for a nil match) with probability
// share, with one of faults drawn at random, for as long as the rule stands. Rules are tried in order as with Fail;
// a request this rule lets through goes on to the next rule.
func (p *Proxy) FailRandomly(match func(Request) bool, share float64, faults ...Fault) {
	if len(faults) == 0 || share <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{
		match:  func(r Request) bool { return (match == nil || match(r)) && rand.Float64() < share },
		faults: faults,
		left:   -1,
	})
}

// FailObjectPuts fails every object write (PutObject, UploadPart, CopyObject) whose key matches with
// InternalError; a nil match fails them all.
func (p *Proxy) FailObjectPuts(match func(key string) bool) {
	p.Fail(func(r Request) bool { return r.IsObjectPut() && (match == nil || match(r.Key)) }, InternalError, 0)
}

// FailNext fails the next n requests, whatever they are, with fault.
func (p *Proxy) FailNext(n int, fault Fault) {
	if n > 0 {
		p.Fail(nil, fault, n)
	}
}

// SetLatency delays every request by d before it is forwarded or failed; 0 removes the delay.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// Reset removes every rule and the latency; the request log is kept.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules, p.latency = nil, 0
}

// Requests returns a copy of the log of every request so far, in arrival order.
func (p *Proxy) Requests() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Entry(nil), p.log...)
}

// Count returns how many requests so far match; a nil match counts them all.
func (p *Proxy) Count(match func(Entry) bool) int {
	n := 0
	for _, e := range p.Requests() {
		if match == nil || match(e) {
			n++
		}
	}
	return n
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	req := parse(r)
	p.mu.Lock()
	delay := p.latency
	var fault *Fault
	for _, ru := range p.rules {
		if ru.left != 0 && ru.match(req) {
			if ru.left > 0 {
				ru.left--
			}
			fault = &ru.faults[rand.IntN(len(ru.faults))]
			break
		}
	}
	i := len(p.log)
	entry := Entry{Request: req}
	if fault != nil {
		entry.Injected, entry.Fault = true, *fault // logged at once: a stall takes long
	}
	p.log = append(p.log, entry)
	p.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	var status int
	if fault != nil {
		status = p.inject(w, r, *fault)
	} else {
		rec := &statusRecorder{ResponseWriter: w}
		p.proxy.ServeHTTP(rec, r)
		status = rec.status
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.log[i].Status = status
}

// inject fails the request and returns the status sent (0 for a closed connection). The request body is read
// first, as a server would before answering, so the client does not see its upload cut short instead.
func (p *Proxy) inject(w http.ResponseWriter, r *http.Request, fault Fault) int {
	_, _ = io.Copy(io.Discard, r.Body)
	switch fault {
	case Stall:
		select {
		case <-r.Context().Done(): // the client went away (or the server is closing)
		case <-p.closing:
		}
		fallthrough
	case CloseConnection:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0) // a reset rather than an orderly close
			}
			conn.Close()
			return 0
		}
		// Not hijackable (HTTP/2): abort the handler, which resets the stream.
		panic(http.ErrAbortHandler)
	case SlowDown:
		return s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate. (injected by faultproxy)")
	default:
		return s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again. (injected by faultproxy)")
	}
}

func s3Error(w http.ResponseWriter, status int, code, msg string) int {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>faultproxy</RequestId></Error>`, code, msg)
	return status
}

// parse reads the path-style S3 view of a request.
func parse(r *http.Request) Request {
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	req.Bucket, req.Key = bucket, key
	return req
}

// statusRecorder remembers the status the reverse proxy sent.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (for flushing).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
