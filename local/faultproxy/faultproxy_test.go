package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// objectStore is a minimal path-style S3 stand-in behind the proxy: PUT stores, GET returns.
type objectStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	puts    int
}

func (o *objectStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		body, _ := io.ReadAll(r.Body)
		o.objects[r.URL.Path] = body
		o.puts++
	case http.MethodGet:
		body, ok := o.objects[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Write(body)
	}
}

// setup returns a proxy in front of a fake object store and a real S3 client that talks to the proxy, with the
// SDK's standard three attempts and a negligible backoff.
func setup(t *testing.T) (*Proxy, *objectStore, *s3.Client) {
	if testing.Short() {
		t.Skip("-short: listens on loopback")
	}
	store := &objectStore{objects: map[string][]byte{}}
	backend := httptest.NewServer(store)
	t.Cleanup(backend.Close)
	p, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	client := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 5 * time.Millisecond })
		},
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(p.URL)
		o.UsePathStyle = true
	})
	return p, store, client
}

func put(ctx context.Context, c *s3.Client, key, body string) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String(key), Body: strings.NewReader(body)})
	return err
}

func attempts(p *Proxy, key string) (total, injected int) {
	for _, e := range p.Requests() {
		if e.IsObjectPut() && e.Key == key {
			total++
			if e.Injected {
				injected++
			}
		}
	}
	return total, injected
}

func TestFailNextIsRetriedThrough(t *testing.T) {
	for _, fault := range []Fault{InternalError, SlowDown, CloseConnection} {
		t.Run(fault.String(), func(t *testing.T) {
			p, store, c := setup(t)
			p.FailNext(2, fault)
			if err := put(t.Context(), c, "k.json", "{}"); err != nil {
				t.Fatalf("PutObject after two injected failures: %v", err)
			}
			if total, injected := attempts(p, "k.json"); total != 3 || injected != 2 || store.puts != 1 {
				t.Fatalf("attempts %d (injected %d), store got %d; want 3 attempts, 2 injected, 1 stored", total, injected, store.puts)
			}
			wantStatus := map[Fault]int{InternalError: 500, SlowDown: 503, CloseConnection: 0}[fault]
			if e := p.Requests()[0]; e.Status != wantStatus || e.Fault != fault {
				t.Errorf("first entry %+v; want status %d, fault %v", e, wantStatus, fault)
			}
			if e := p.Requests()[2]; e.Injected || e.Status != http.StatusOK {
				t.Errorf("third entry %+v; want forwarded with 200", e)
			}
		})
	}
}

func TestFailObjectPutsByKey(t *testing.T) {
	p, store, c := setup(t)
	p.FailObjectPuts(func(key string) bool { return strings.HasPrefix(key, "bad/") })
	err := put(t.Context(), c, "bad/1.json", "{}")
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalError" {
		t.Fatalf("PutObject of a failing key: %v; want InternalError after retries", err)
	}
	if total, injected := attempts(p, "bad/1.json"); total != 3 || injected != 3 {
		t.Errorf("bad key: %d attempts, %d injected; want 3 and 3 (the SDK retried)", total, injected)
	}
	if err := put(t.Context(), c, "good/1.json", "{}"); err != nil {
		t.Fatalf("PutObject of another key: %v", err)
	}
	// Reads are not object puts.
	if _, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("good/1.json")}); err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if store.puts != 1 {
		t.Errorf("store got %d puts; want only the good one", store.puts)
	}

	p.Reset()
	if err := put(t.Context(), c, "bad/1.json", "{}"); err != nil {
		t.Fatalf("PutObject after Reset: %v", err)
	}
	if n := p.Count(func(e Entry) bool { return e.Injected }); n != 3 {
		t.Errorf("Count(injected) = %d; want the 3 from before Reset", n)
	}
}

func TestFailObjectPutsAll(t *testing.T) {
	p, _, c := setup(t)
	p.FailObjectPuts(nil)
	for _, key := range []string{"a", "b/c", "year=2024/x.jsonl.gz"} {
		if err := put(t.Context(), c, key, "x"); err == nil {
			t.Errorf("PutObject %s succeeded", key)
		}
	}
	if total, _ := attempts(p, "year=2024/x.jsonl.gz"); total != 3 {
		t.Errorf("key with '=': %d attempts seen under its unescaped key; want 3", total)
	}
}

func TestFailRandomly(t *testing.T) {
	p, store, c := setup(t)
	p.FailRandomly(func(r Request) bool { return r.IsObjectPut() }, 0.5, InternalError, SlowDown, CloseConnection)
	const n = 120
	for i := range n {
		// Three attempts each: a put fails only when all three were failed (about 1 in 8).
		_ = put(t.Context(), c, fmt.Sprintf("k%d", i), "x")
	}
	byFault := map[Fault]int{}
	requests := 0
	for _, e := range p.Requests() {
		requests++
		if e.Injected {
			byFault[e.Fault]++
		}
	}
	injected := byFault[InternalError] + byFault[SlowDown] + byFault[CloseConnection]
	// Binomial(requests, 0.5): far outside 35–65 % means the share is not applied.
	if share := float64(injected) / float64(requests); share < 0.35 || share > 0.65 || len(byFault) != 3 {
		t.Errorf("%d of %d requests failed (%v); want about half, with every fault", injected, requests, byFault)
	}
	if store.puts != requests-injected {
		t.Errorf("store got %d puts, want the %d requests not failed", store.puts, requests-injected)
	}
}

func TestStall(t *testing.T) {
	p, store, c := setup(t)
	p.Fail(nil, Stall, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")},
		func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) < 300*time.Millisecond {
		t.Fatalf("PutObject of a stalled request: %v after %v; want the client's deadline", err, time.Since(began))
	}
	if e := p.Requests()[0]; !e.Injected || e.Fault != Stall || store.puts != 0 {
		t.Errorf("entry %+v, %d stored; want an injected stall and nothing stored", e, store.puts)
	}
	// The next request goes through; a stalled request without a deadline is released by Close.
	if err := put(t.Context(), c, "k", "x"); err != nil {
		t.Fatal(err)
	}
	p.Fail(nil, Stall, 1)
	done := make(chan error, 1)
	go func() {
		done <- put(context.Background(), c, "k2", "x")
	}()
	for p.Count(func(e Entry) bool { return e.Fault == Stall }) < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	p.Close()
	select {
	case <-done: // failed or, after the SDK's retry met the closed proxy, failed again: either way it returned
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not release the stalled request")
	}
}

func TestLatency(t *testing.T) {
	p, _, c := setup(t)
	p.SetLatency(300 * time.Millisecond)
	began := time.Now()
	if err := put(t.Context(), c, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < 300*time.Millisecond {
		t.Errorf("request took %v with 300ms latency", d)
	}
	p.SetLatency(0)
	if err := put(t.Context(), c, "k", "v"); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	r := httptest.NewRequest(http.MethodPut, "http://x/bucket/kinesis/year%3D2024/a%20b.json?x-id=PutObject", bytes.NewReader(nil))
	got := parse(r)
	if got.Bucket != "bucket" || got.Key != "kinesis/year=2024/a b.json" || !got.IsObjectPut() || got.Query.Get("x-id") != "PutObject" {
		t.Errorf("parse = %+v", got)
	}
	if b := parse(httptest.NewRequest(http.MethodPut, "http://x/bucket", nil)); b.IsObjectPut() || b.Bucket != "bucket" {
		t.Errorf("CreateBucket parsed as %+v", b)
	}
	if _, err := New("127.0.0.1:1"); err == nil {
		t.Error("New accepted a target without a scheme")
	}
}
