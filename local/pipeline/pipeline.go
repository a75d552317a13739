// Package pipeline assembles a complete kinesis2s3 pipeline on this machine, configured like the Terraform
// stack: a Kinesis stream, the output bucket and the on-failure queue in the emulators, the real function
// (build/local/bootstrap) under the Lambda RIE with one execution environment per concurrent batch, and the local
// event source mapping (local/esm) between the stream and the function. kinesis2s3-local (make run), the
// end-to-end suite and the redrive tests build on it.
//
// Several pipelines can share one set of emulators (Options.Stack) as long as their names differ; each has its
// own function processes and mapping.
package pipeline

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
	"github.com/kinesis2s3/kinesis2s3/local/emulators"
	"github.com/kinesis2s3/kinesis2s3/local/esm"
	"github.com/kinesis2s3/kinesis2s3/local/faultproxy"
)

// Options configures Start. Only Settings is required.
type Options struct {
	Settings Settings
	// Stack is a running set of emulators to create the resources in; Close leaves it running. Nil makes Start
	// start one with StackOptions, and Close stop it.
	Stack        *emulators.Stack
	StackOptions emulators.Options
	// Bootstrap is the function binary; empty means the emulators package's default ($KINESIS2S3_BOOTSTRAP or a fresh
	// build of ./function/cmd/bootstrap).
	Bootstrap string
	// Instances is the number of execution environments; default Shards × ParallelizationFactor, the most
	// batches the mapping runs at once.
	Instances int
	// S3Faults puts a fault proxy between the function and S3 (Pipeline.Faults), to play S3 outages.
	S3Faults bool
	// LogDir receives the function's logs (rie-<n>.log); empty means a temporary directory removed by Close.
	LogDir string
	// ESMOptions are passed to esm.New (a logger, an event handler, the retry backoff).
	ESMOptions []esm.Option
	// Paused leaves the mapping stopped until Resume, like Terraform's esm_enabled = false: records wait in the
	// stream.
	Paused bool
}

// Pipeline is a running local pipeline.
type Pipeline struct {
	// Settings are those in effect; Settings.ESM carries the stream, function and queue of this pipeline.
	Settings Settings
	Stack    *emulators.Stack
	Function *emulators.Function
	Mapping  *esm.Mapping
	// Faults is the fault proxy between the function and S3, nil unless Options.S3Faults.
	Faults *faultproxy.Proxy

	StreamName, StreamARN, Bucket, QueueURL string
	// OnFailureSource is where the mapping's on-failure records go, as `pipelinectl redrive` takes it: the queue
	// URL (for -queue-url), or s3://BUCKET/aws/lambda/<mapping UUID>/ (for -source) with on_failure_destination
	// "s3". The queue exists either way, empty with S3.
	OnFailureSource string
	// Clients for the emulators (S3 directly, not through the fault proxy).
	Kinesis *kinesis.Client
	S3      *s3.Client
	SQS     *sqs.Client

	ownStack  bool
	runCtx    context.Context
	stop      context.CancelFunc
	runDone   chan struct{} // closed when the mapping has stopped (or, never started, by Close)
	runErr    error
	mu        sync.Mutex // guards started and closed
	started   bool
	closed    bool
	closeOnce sync.Once
}

// Start creates the stream (and waits until it is ACTIVE), the bucket and the queue, starts the function and
// the event source mapping (unless Options.Paused), and returns once they run. On failure it stops whatever it
// started.
func Start(ctx context.Context, opts Options) (_ *Pipeline, err error) {
	s := opts.Settings
	if err := s.Validate(); err != nil {
		return nil, err
	}
	p := &Pipeline{Settings: s, Stack: opts.Stack, StreamName: s.Name, Bucket: s.Name, runDone: make(chan struct{})}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if p.Stack == nil {
		if p.Stack, err = emulators.Start(ctx, opts.StackOptions); err != nil {
			return nil, err
		}
		p.ownStack = true
	}
	p.Kinesis, p.S3, p.SQS = p.Stack.Kinesis(), p.Stack.S3(), p.Stack.SQS()

	if p.StreamARN, err = createStream(ctx, p.Kinesis, p.StreamName, s.Shards); err != nil {
		return nil, err
	}
	if _, err = p.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(p.Bucket)}); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", p.Bucket, err)
	}
	q, err := p.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(s.Name + "-on-failure")})
	if err != nil {
		return nil, fmt.Errorf("create queue %s-on-failure: %w", s.Name, err)
	}
	p.QueueURL = aws.ToString(q.QueueUrl)

	env := p.Stack.Env()
	maps.Copy(env, s.HandlerEnv(p.Bucket))
	if opts.S3Faults {
		if p.Faults, err = faultproxy.New(p.Stack.AWSEndpoint); err != nil {
			return nil, err
		}
		env["AWS_ENDPOINT_URL_S3"] = p.Faults.URL
	}
	instances := opts.Instances
	if instances <= 0 {
		instances = s.Shards * s.ESM.ParallelizationFactor
	}
	p.Function, err = emulators.StartFunction(ctx, emulators.FunctionOptions{
		Bootstrap: opts.Bootstrap,
		Env:       env,
		Instances: instances,
		Timeout:   s.Timeout,
		MemoryMB:  s.MemoryMB,
		Name:      s.Name,
		LogDir:    opts.LogDir,
	})
	if err != nil {
		return nil, err
	}

	cfg := s.ESM
	cfg.StreamARN = p.StreamARN
	cfg.StreamName = p.StreamName
	cfg.FunctionARN = "arn:aws:lambda:" + p.Stack.Region + ":" + emulators.AccountID + ":function:" + s.Name
	esmOpts := opts.ESMOptions
	if s.OnFailureDestination == OnFailureS3 {
		// Written with the stack's own S3 client, not through the fault proxy: the proxy plays the function's S3.
		cfg.OnFailureBucketARN = "arn:aws:s3:::" + p.Bucket
		esmOpts = append(slices.Clip(esmOpts), esm.WithS3(p.S3))
	} else {
		cfg.OnFailureQueueURL = p.QueueURL
	}
	if p.Mapping, err = esm.New(cfg, p.Kinesis, p.SQS, invoker{p.Function}, esmOpts...); err != nil {
		return nil, err
	}
	cfg.UUID = p.Mapping.UUID()
	p.Settings.ESM = cfg
	p.OnFailureSource = p.QueueURL
	if cfg.OnFailureBucketARN != "" {
		p.OnFailureSource = "s3://" + p.Bucket + "/" + onfailure.KeyPrefix(cfg.UUID)
	}
	p.runCtx, p.stop = context.WithCancel(context.WithoutCancel(ctx))
	if !opts.Paused {
		p.Resume()
	}
	return p, nil
}

// Resume starts the event source mapping of a pipeline started with Options.Paused; it does nothing if the
// mapping runs already or the pipeline is closed.
func (p *Pipeline) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.closed {
		return
	}
	p.started = true
	go func() {
		defer close(p.runDone)
		p.runErr = p.Mapping.Run(p.runCtx)
	}()
}

// createStream creates a provisioned stream and waits until it is ACTIVE. It returns the stream's ARN.
func createStream(ctx context.Context, k *kinesis.Client, name string, shards int) (string, error) {
	_, err := k.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName:        aws.String(name),
		ShardCount:        aws.Int32(int32(shards)),
		StreamModeDetails: &kinesistypes.StreamModeDetails{StreamMode: kinesistypes.StreamModeProvisioned},
	})
	if err != nil {
		return "", fmt.Errorf("create stream %s: %w", name, err)
	}
	// The waiter's default delays (10s to 2 min) suit AWS; the emulator creates a stream in about half a second.
	out, err := kinesis.NewStreamExistsWaiter(k, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).WaitForOutput(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, time.Minute)
	if err != nil {
		return "", fmt.Errorf("stream %s not ACTIVE: %w", name, err)
	}
	return aws.ToString(out.StreamDescription.StreamARN), nil
}

// invoker lets the mapping invoke the RIE-backed function.
type invoker struct{ f *emulators.Function }

func (i invoker) Invoke(ctx context.Context, payload []byte) (esm.InvokeResult, error) {
	res, err := i.f.Invoke(ctx, payload)
	if err != nil {
		return esm.InvokeResult{}, err
	}
	return esm.InvokeResult{Payload: res.Payload, FunctionError: res.FunctionError}, nil
}

// Done is closed when the mapping has stopped: after Close, or early when it could not read the stream (see
// Err).
func (p *Pipeline) Done() <-chan struct{} { return p.runDone }

// Err is why the mapping stopped early, once Done is closed; nil after a normal Close.
func (p *Pipeline) Err() error {
	select {
	case <-p.runDone:
		return p.runErr
	default:
		return nil
	}
}

// QueueDepth is the approximate number of on-failure records in the queue (visible and in flight).
func (p *Pipeline) QueueDepth(ctx context.Context) (int, error) {
	out, err := p.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(p.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, fmt.Errorf("queue depth: %w", err)
	}
	n := 0
	for _, v := range out.Attributes {
		c, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("queue depth: attribute %q is not a number", v)
		}
		n += c
	}
	return n, nil
}

// OnFailureCount is the number of on-failure records waiting: the queue's depth (visible and in flight), or the
// on-failure objects in the bucket.
func (p *Pipeline) OnFailureCount(ctx context.Context) (int, error) {
	rest, isS3 := strings.CutPrefix(p.OnFailureSource, "s3://")
	if !isS3 {
		return p.QueueDepth(ctx)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	n := 0
	pages := s3.NewListObjectsV2Paginator(p.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("on-failure objects: %w", err)
		}
		n += len(out.Contents)
	}
	return n, nil
}

// Close stops the mapping (waiting for in-flight invocations), the function, the fault proxy and, if Start
// started them, the emulators. The stream, bucket and queue of a shared stack stay. It returns the error that
// stopped the mapping early, if any. Safe to call more than once.
func (p *Pipeline) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		if !p.started {
			close(p.runDone)
		}
		p.mu.Unlock()
		if p.stop != nil {
			p.stop()
		}
		<-p.runDone
		if p.Function != nil {
			p.Function.Close()
		}
		if p.Faults != nil {
			p.Faults.Close()
		}
		if p.ownStack {
			p.Stack.Close()
		}
	})
	return p.runErr
}
