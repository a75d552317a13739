// Package emulators runs the local stand-ins for AWS that `make run` and the integration tests use:
// kinesalite for Kinesis (or kinesis-mock, on request), fauxqs for S3 and SQS, and the Lambda Runtime Interface
// Emulator (RIE) running the function's bootstrap. Each is a child process on free loopback ports, logging to a
// file, in a session of its own so that Close leaves nothing behind.
//
// Start brings up the emulators and StartFunction the function; StartT and StartFunctionT do the same for tests
// and dump the logs when the test fails. The binaries come from the KINESIS2S3_* environment variables the
// Makefile exports, or from the repository, installed or built on first use.
//
// # Which Kinesis emulator
//
// kinesalite is the default: it keeps its pace as shards fill (about 6,000 records/s put on this project's
// 2-core machine), where kinesis-mock slows down to a few dozen records/s past 25,000 records. Its deviations
// from Kinesis, and what the local event source mapping makes of each, are listed in local/esm's documentation
// and checked by local/esm's engine tests. kinesis-mock (KinesisEngine or KINESIS2S3_KINESIS_ENGINE =
// kinesis-mock) stays for the calls kinesalite lacks — UpdateShardCount, ListShards pages, ChildShards and a
// real MillisBehindLatest in GetRecords — none of which the pipeline needs.
package emulators

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Dummy credentials: the emulators accept any signature. The access key is deliberately not a 12-digit number,
// which kinesis-mock would take as an account id.
const (
	AccessKeyID     = "local"
	SecretAccessKey = "local"
	// AccountID is the account the emulators put into ARNs.
	AccountID = "000000000000"
)

// Kinesis emulators (Options.KinesisEngine).
const (
	Kinesalite  = "kinesalite"
	KinesisMock = "kinesis-mock"
)

// EnvKinesisEngine chooses the Kinesis emulator when Options.KinesisEngine does not: kinesalite (the default) or
// kinesis-mock. It lets a whole test run use the other engine: KINESIS2S3_KINESIS_ENGINE=kinesis-mock make test.
const EnvKinesisEngine = "KINESIS2S3_KINESIS_ENGINE"

// Options configures Start. The zero value starts both emulators in us-east-1.
type Options struct {
	// Region is the AWS region the emulators and clients use; default us-east-1.
	Region string
	// LogDir receives one log file per process. Default: a new temporary directory, removed by Close.
	LogDir string
	// WithoutKinesis skips the Kinesis emulator (KinesisEndpoint stays empty); WithoutFauxqs skips fauxqs
	// (AWSEndpoint stays empty).
	WithoutKinesis, WithoutFauxqs bool
	// KinesisEngine is Kinesalite or KinesisMock; empty means $KINESIS2S3_KINESIS_ENGINE, else Kinesalite.
	KinesisEngine string
	// StreamDelay is how long a stream stays CREATING, UPDATING (resharding) or DELETING; 0 means 500ms, both
	// engines' default. AWS takes seconds to minutes; tests that create many streams want less.
	StreamDelay time.Duration
	// KinesisEnv adds kinesis-mock settings such as SHARD_LIMIT or LOG_LEVEL (KinesisMock only).
	KinesisEnv map[string]string
	// StartTimeout bounds each emulator's start-up; default 60s (kinesis-mock takes seconds on a busy machine).
	StartTimeout time.Duration
}

// withDefaults fills in the defaults and rejects settings that the engine would ignore.
func (opts *Options) withDefaults() error {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.StreamDelay <= 0 {
		opts.StreamDelay = 500 * time.Millisecond
	}
	if opts.KinesisEngine == "" {
		opts.KinesisEngine = os.Getenv(EnvKinesisEngine)
	}
	switch opts.KinesisEngine {
	case "":
		opts.KinesisEngine = Kinesalite
	case Kinesalite, KinesisMock:
	default:
		return fmt.Errorf("Kinesis engine %q (%s?): use %s or %s", opts.KinesisEngine, EnvKinesisEngine, Kinesalite, KinesisMock)
	}
	if opts.KinesisEngine != KinesisMock && len(opts.KinesisEnv) > 0 {
		return fmt.Errorf("KinesisEnv holds kinesis-mock settings, but the Kinesis engine is %s", opts.KinesisEngine)
	}
	for _, k := range []string{"KINESIS_MOCK_PLAIN_PORT", "KINESIS_MOCK_TLS_PORT"} {
		if _, ok := opts.KinesisEnv[k]; ok {
			return fmt.Errorf("kinesis-mock: %s is chosen by Start (a free port); remove it from KinesisEnv", k)
		}
	}
	return nil
}

// Stack is a running set of emulators.
type Stack struct {
	Region          string // e.g. us-east-1
	KinesisEngine   string // Kinesalite or KinesisMock
	KinesisEndpoint string // the Kinesis emulator, plain HTTP: http://127.0.0.1:<port>
	AWSEndpoint     string // fauxqs: S3 (path-style addressing) and SQS on one port
	LogDir          string // where the emulators log (see LogFiles)
	// StartupTimes is how long each emulator (by name: kinesalite or kinesis-mock, fauxqs) took from exec to
	// answering its readiness check.
	StartupTimes map[string]time.Duration

	procs     []*process
	removeDir bool
	loopback  string // file URL of loopback.mjs, preloaded into the Node emulators
	closeOnce sync.Once
}

// Start installs the emulators if needed, starts them on free loopback ports, and waits until each answers:
// fauxqs its /health endpoint, the Kinesis emulator a real ListStreams call. On failure it stops whatever it
// started and the error includes the failing process's log tail.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if err := opts.withDefaults(); err != nil {
		return nil, fmt.Errorf("emulators: %w", err)
	}
	em, err := findEmulators(ctx)
	if err != nil {
		return nil, err
	}
	s := &Stack{Region: opts.Region, KinesisEngine: opts.KinesisEngine, StartupTimes: map[string]time.Duration{}}
	if s.LogDir, s.removeDir, err = logDir(opts.LogDir, "kinesis2s3-emulators-"); err != nil {
		return nil, err
	}
	loopback, err := writeModule(s.LogDir, "loopback.mjs", loopbackModule)
	if err != nil {
		return nil, err
	}
	s.loopback = (&url.URL{Scheme: "file", Path: loopback}).String()
	// The emulators start concurrently: together they take as long as the slowest alone.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	launch := func(name string, endpoint *string, start func() (*process, string, error)) {
		wg.Go(func() {
			began := time.Now()
			p, url, err := start()
			mu.Lock()
			defer mu.Unlock()
			if p != nil {
				s.procs = append(s.procs, p)
			}
			if err != nil {
				errs = append(errs, err)
				return
			}
			s.StartupTimes[name] = time.Since(began)
			*endpoint = url
		})
	}
	if !opts.WithoutKinesis {
		start := s.startKinesalite
		if opts.KinesisEngine == KinesisMock {
			start = s.startKinesisMock
		}
		launch(opts.KinesisEngine, &s.KinesisEndpoint, func() (*process, string, error) { return start(ctx, em, opts) })
	}
	if !opts.WithoutFauxqs {
		launch("fauxqs", &s.AWSEndpoint, func() (*process, string, error) { return s.startFauxqs(ctx, em, opts) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.removeDir = false // the error points into the logs
		s.Close()
		return nil, err
	}
	return s, nil
}

// startKinesalite runs kinesalite through its library (kinesalite.mjs), which binds 127.0.0.1 itself; the
// loopback module is preloaded all the same, for any other server the process might open.
func (s *Stack) startKinesalite(ctx context.Context, em emulators, opts Options) (*process, string, error) {
	launcher, err := writeModule(s.LogDir, "kinesalite.mjs", kinesaliteLauncher)
	if err != nil {
		return nil, "", err
	}
	var p *process
	var endpoint string
	err = startWithPorts(1, func(ports []int) error {
		env := append(baseEnv(),
			"KINESALITE_STREAM_MS="+strconv.FormatInt(opts.StreamDelay.Milliseconds(), 10),
			"AWS_REGION="+opts.Region,
			"AWS_ACCOUNT_ID="+AccountID,
		)
		var err error
		if p, err = startProcess(Kinesalite, filepath.Join(s.LogDir, "kinesalite.log"), s.LogDir, env, em.node,
			"--import", s.loopback, launcher, em.kinesalite, strconv.Itoa(ports[0])); err != nil {
			return err
		}
		endpoint = "http://127.0.0.1:" + strconv.Itoa(ports[0])
		return s.waitKinesis(ctx, p, endpoint, opts.StartTimeout)
	})
	return p, endpoint, err
}

func (s *Stack) startKinesisMock(ctx context.Context, em emulators, opts Options) (*process, string, error) {
	var p *process
	var endpoint string
	err := startWithPorts(2, func(ports []int) error {
		delay := strconv.FormatInt(opts.StreamDelay.Milliseconds(), 10) + "ms"
		env := append(baseEnv(),
			"KINESIS_MOCK_PLAIN_PORT="+strconv.Itoa(ports[0]),
			"KINESIS_MOCK_TLS_PORT="+strconv.Itoa(ports[1]),
			"KINESIS_MOCK_CERT_PATH="+em.kinesisMockCert,
			"AWS_REGION="+opts.Region,
			"CREATE_STREAM_DURATION="+delay, "DELETE_STREAM_DURATION="+delay, "UPDATE_SHARD_COUNT_DURATION="+delay,
			"SPLIT_SHARD_DURATION="+delay, "MERGE_SHARDS_DURATION="+delay,
		)
		for _, k := range slices.Sorted(maps.Keys(opts.KinesisEnv)) {
			env = append(env, k+"="+opts.KinesisEnv[k]) // later entries win
		}
		var err error
		if p, err = startProcess(KinesisMock, filepath.Join(s.LogDir, "kinesis-mock.log"), s.LogDir, env, em.node,
			"--import", s.loopback, em.kinesisMock); err != nil {
			return err
		}
		endpoint = "http://127.0.0.1:" + strconv.Itoa(ports[0])
		return s.waitKinesis(ctx, p, endpoint, opts.StartTimeout)
	})
	return p, endpoint, err
}

// waitKinesis waits until the Kinesis emulator answers ListStreams, and stops it if it does not.
func (s *Stack) waitKinesis(ctx context.Context, p *process, endpoint string, timeout time.Duration) error {
	client := kinesis.NewFromConfig(s.config(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.RetryMaxAttempts = 1
	})
	err := p.waitReady(ctx, timeout, func(ctx context.Context) error {
		_, err := client.ListStreams(ctx, &kinesis.ListStreamsInput{})
		return err
	})
	if err != nil {
		p.stop()
	}
	return err
}

func (s *Stack) startFauxqs(ctx context.Context, em emulators, opts Options) (*process, string, error) {
	var p *process
	var endpoint string
	err := startWithPorts(1, func(ports []int) error {
		env := append(baseEnv(),
			"FAUXQS_PORT="+strconv.Itoa(ports[0]),
			"FAUXQS_DEFAULT_REGION="+opts.Region,
			"FAUXQS_LOGGER=false", // one line per request otherwise
		)
		// Not dist/server.js, which forces the request log on whatever FAUXQS_LOGGER says. The module path is an
		// argument so that the command line names fauxqs (pgrep -f fauxqs).
		script := `const { startFauxqs } = await import(process.argv[1]); await startFauxqs();`
		var err error
		if p, err = startProcess("fauxqs", filepath.Join(s.LogDir, "fauxqs.log"), s.LogDir, env, em.node,
			"--import", s.loopback, "--input-type=module", "-e", script,
			(&url.URL{Scheme: "file", Path: em.fauxqs}).String()); err != nil {
			return err
		}
		endpoint = "http://127.0.0.1:" + strconv.Itoa(ports[0])
		err = p.waitReady(ctx, opts.StartTimeout, func(ctx context.Context) error {
			return httpOK(ctx, endpoint+"/health")
		})
		if err != nil {
			p.stop()
		}
		return err
	})
	return p, endpoint, err
}

// Close stops every process the stack started (their whole sessions) and removes the log directory if Start
// created it. It is safe to call more than once.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		for _, p := range s.procs {
			p.stop()
		}
		if s.removeDir {
			os.RemoveAll(s.LogDir)
		}
	})
	return nil
}

// LogFiles maps each emulator's name to its log file.
func (s *Stack) LogFiles() map[string]string {
	m := map[string]string{}
	for _, p := range s.procs {
		m[p.name] = p.logPath
	}
	return m
}

// config is an aws.Config with the stack's region and static dummy credentials. It is built from scratch rather
// than by config.LoadDefaultConfig, so nothing from the caller's environment or ~/.aws (a profile, an endpoint
// override) can send a request to real AWS. Endpoints are set per client.
func (s *Stack) config() aws.Config {
	return aws.Config{
		Region:      s.Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
	}
}

// Kinesis returns a client for the Kinesis emulator.
func (s *Stack) Kinesis() *kinesis.Client {
	return kinesis.NewFromConfig(s.config(), func(o *kinesis.Options) { o.BaseEndpoint = aws.String(s.KinesisEndpoint) })
}

// S3 returns a path-style client for fauxqs.
func (s *Stack) S3() *s3.Client {
	return s3.NewFromConfig(s.config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.AWSEndpoint)
		o.UsePathStyle = true
	})
}

// SQS returns a client for fauxqs.
func (s *Stack) SQS() *sqs.Client {
	return sqs.NewFromConfig(s.config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(s.AWSEndpoint) })
}

// Env is what a child process using the AWS SDK needs to talk to the stack: region, dummy credentials and the
// per-service endpoint variables (AWS_ENDPOINT_URL_<SERVICE>) for the emulators that run. Path-style S3
// addressing has no standard variable; the function takes S3_FORCE_PATH_STYLE=true.
func (s *Stack) Env() map[string]string {
	env := map[string]string{
		"AWS_REGION":                s.Region,
		"AWS_DEFAULT_REGION":        s.Region,
		"AWS_ACCESS_KEY_ID":         AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	if s.KinesisEndpoint != "" {
		env["AWS_ENDPOINT_URL_KINESIS"] = s.KinesisEndpoint
	}
	if s.AWSEndpoint != "" {
		env["AWS_ENDPOINT_URL_S3"] = s.AWSEndpoint
		env["AWS_ENDPOINT_URL_SQS"] = s.AWSEndpoint
	}
	return env
}

// loopbackModule pins every server of a Node process to 127.0.0.1: the emulators bind all interfaces otherwise.
//
//go:embed loopback.mjs
var loopbackModule []byte

// kinesaliteLauncher starts kinesalite on 127.0.0.1 through its library.
//
//go:embed kinesalite.mjs
var kinesaliteLauncher []byte

// writeModule writes a Node module into dir (atomically: stacks may share a log directory) and returns its path.
func writeModule(dir, name string, content []byte) (string, error) {
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	_, werr := tmp.Write(content)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("%s: %w", name, werr)
	}
	return path, nil
}

// logDir returns dir, creating it, or a new temporary directory that the caller should remove.
func logDir(dir, pattern string) (string, bool, error) {
	if dir != "" {
		// Owner only: emulator logs can hold request bodies, that is record data.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", false, fmt.Errorf("log directory: %w", err)
		}
		return dir, false, nil
	}
	tmp, err := os.MkdirTemp("", pattern+"*")
	if err != nil {
		return "", false, fmt.Errorf("log directory: %w", err)
	}
	return tmp, true, nil
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// ProcessIDs returns the process ID of each emulator the stack started, by name (kinesalite or kinesis-mock,
// fauxqs).
func (s *Stack) ProcessIDs() map[string]int {
	m := map[string]int{}
	for _, p := range s.procs {
		m[p.name] = p.cmd.Process.Pid
	}
	return m
}

// PIDs returns the process ID of each emulator the stack started; each leads a process group of its own.
func (s *Stack) PIDs() []int {
	var pids []int
	for _, p := range s.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// CreateLog creates (or empties) a log file, such as the mapping's beside the processes' logs, that only its owner
// can read, as they are: the logs of the stack may hold record data. A file an earlier run left with wider
// permissions is narrowed too.
func CreateLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
