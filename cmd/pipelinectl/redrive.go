package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/process"
	"github.com/kinesis2s3/kinesis2s3/function/s3writer"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
	"github.com/kinesis2s3/kinesis2s3/internal/redrive"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

func init() {
	commands["redrive"] = command{
		summary: "reprocess what the event source mapping gave up on (on-failure queue or S3 objects), then delete it " +
			"(or, with -redriven-objects " + objectsTag + ", tag the object and leave it)",
		run: runRedrive,
	}
}

// Reprocessing modes.
const (
	modeInvoke = "invoke"
	modeDirect = "direct"
)

// redriveFlags are the parsed flags of redrive.
type redriveFlags struct {
	queueURL, queueName string
	source              string // s3://BUCKET/PREFIX
	redrivenObjects     string // objectsDelete or objectsTag
	mode                string
	dryRun              bool
	maxMessages         int
	concurrency         int
	batchSize           int
	retries             int
	visibility          time.Duration
	allowWiderRange     bool

	function, invokeIdentity string

	configFrom string
	// The handler's settings for direct mode, by environment variable name; only flags given are set.
	handler map[string]*string
	given   map[string]bool // flags given on the command line
}

// What becomes of an on-failure object once every record of it is durable (-redriven-objects).
const (
	objectsDelete = "delete"
	objectsTag    = "tag"
)

// handlerFlags maps direct-mode flags to the function's environment variables they stand for; what each accepts
// and defaults to comes from the function's configuration contract (function/config).
var handlerFlags = []struct{ flag, env string }{
	{"bucket", config.EnvBucketName},
	{"output-mode", config.EnvOutputMode},
	{"compression", config.EnvCompression},
	{"key-prefix", config.EnvKeyPrefix},
	{"error-prefix", config.EnvErrorPrefix},
	{"on-invalid-record", config.EnvOnInvalidRecord},
	{"s3-force-path-style", config.EnvS3ForcePathStyle},
	{"upload-concurrency", config.EnvUploadConcurrency},
	{"schema", config.EnvSchema},
	{"transform", config.EnvTransform},
	{"time-field", config.EnvTimeField},
	{"partition-keys", config.EnvPartitionKeys},
	{"max-partitions", config.EnvMaxPartitions},
	{"format", config.EnvFormat},
	{"memory-size", config.EnvMemorySize},
}

// directUnset is what direct mode takes for a variable that has no default in the contract, because Lambda sets it,
// when neither its flag nor -config-from-function gives it.
var directUnset = map[string]string{config.EnvMemorySize: strconv.Itoa(budget.DefaultMemoryMB)}

// handlerUsage describes a direct-mode flag from the contract's definition of its variable.
func handlerUsage(env string) string {
	v := config.Lookup(env)
	// The flag package shows the first back-quoted word of a usage as the argument's name and unquotes only that
	// one; the contract's back quotes mark code, so they go, and the argument's name below is the only one left.
	u := "direct mode: " + strings.ReplaceAll(v.Doc, "`", "")
	if words := strings.Fields(strings.ReplaceAll(v.Values, "`", "")); len(words) > 0 {
		// -bucket NAME, -key-prefix PREFIX.
		u += " (`" + strings.ToUpper(words[len(words)-1]) + "`)"
	}
	switch {
	case len(v.Allowed) > 0:
		u += " (" + strings.Join(v.Allowed, ", ") + ")"
	case v.Max > 0:
		u += fmt.Sprintf(" (%d-%d)", v.Min, v.Max)
	}
	if d := cmp.Or(v.Default, directUnset[env]); d != "" {
		u += "; default " + d
	}
	return u + "; the function's " + env
}

func redriveFlagSet(stderr io.Writer, f *redriveFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.queueURL, "queue-url", "", "the on-failure queue's `URL`")
	fs.StringVar(&f.queueName, "queue-name", "", "the on-failure queue's `NAME`, instead of -queue-url")
	fs.StringVar(&f.source, "source", "", "the on-failure objects of an S3 destination, under `s3://BUCKET/PREFIX`, instead of the queue "+
		"(an empty PREFIX means "+onfailure.KeyRoot+", where Lambda writes them all)")
	fs.StringVar(&f.redrivenObjects, "redriven-objects", objectsDelete, "-source only: what becomes of an object once every record of it is durable: "+
		objectsDelete+", or "+objectsTag+" (tag it "+redrive.RedrivenTag+"=<time>, leave it, and skip it in later runs)")
	fs.StringVar(&f.mode, "mode", "", "how to reprocess: invoke (the deployed function) or direct (write to S3 from here); required unless -dry-run")
	fs.BoolVar(&f.dryRun, "dry-run", false, "report the messages, ranges, record counts and ages; reprocess and delete nothing")
	fs.IntVar(&f.maxMessages, "max-messages", 0, "stop after `N` messages or objects, not counting objects skipped as tagged by an earlier run (0: until none is left)")
	fs.IntVar(&f.concurrency, "concurrency", redrive.DefaultConcurrency, "messages redriven at once")
	fs.IntVar(&f.batchSize, "batch-size", redrive.DefaultBatchSize, fmt.Sprintf("most records per invocation or write batch, 1-%d (invocations are also cut at 6 MB)", redrive.MaxBatchSize))
	fs.IntVar(&f.retries, "retries", redrive.DefaultRetries, "retries of a failed batch, from the first failed record, before its message is kept (an attempt that handles some records uses none)")
	fs.DurationVar(&f.visibility, "visibility-timeout", redrive.DefaultVisibilityTimeout, "queue only: how long a message being redriven stays hidden; extended while it is worked on")
	fs.BoolVar(&f.allowWiderRange, "allow-wider-range", false, "queue only: also redrive a range that holds more records than its message's batchSize "+
		"(parallelization_factor > 1: it spans other batches' records, which are written again, in batch output mode as duplicates; "+
		"filter_patterns: it spans the records the filter dropped, which are written)")
	fs.StringVar(&f.function, "function", "", "invoke mode: the function `NAME` or ARN, optionally with :alias or :version")
	fs.StringVar(&f.invokeIdentity, "invoke-identity-arn", "", "invoke mode: the events' invokeIdentityArn (default: the function's execution role, if GetFunctionConfiguration answers)")
	fs.StringVar(&f.configFrom, "config-from-function", "", "direct mode: take the settings below from the deployed function `NAME`'s environment (flags given override)")
	f.handler = map[string]*string{}
	for _, h := range handlerFlags {
		f.handler[h.env] = fs.String(h.flag, "", handlerUsage(h.env))
	}
	fs.Usage = func() { redriveUsage(fs) }
	return fs
}

func redriveUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: pipelinectl redrive (-queue-url URL | -queue-name NAME | -source s3://BUCKET/PREFIX)
                            (-dry-run | -mode invoke|direct) [flags]

Drains the on-failure queue of the Kinesis event source mapping. Each message names a shard and a
sequence-number range, not the data: redrive reads that range back from the stream, reprocesses it, and deletes
the message only once every record of the range is durably handled (written or quarantined by the function's
rules). Anything else keeps the message on the queue, visible again, and is reported: ranges already trimmed
from the stream (what is left of them is still reprocessed), failures after the retries, messages that are not
Kinesis on-failure records.

With -source, it drains the objects of an S3 on-failure destination instead. Each object carries the discarded
records themselves, so the stream is not read and its retention does not matter. An object is deleted (or, with
-redriven-objects tag, tagged and left) only once every record of it is durably handled; anything else leaves it
as it is, and is reported. Lambda writes these objects under aws/lambda/<mapping UUID>/ in the bucket.

The exit status is 1 if any message was kept (any object left; in a dry run: would be), or if the run stopped
INCOMPLETE: receive after receive brought back only messages it had already taken (their visibility lapsed), so
it cannot tell whether others are left; rerun (with a longer -visibility-timeout if it repeats).

  -mode invoke  invokes the deployed function (Lambda Invoke, RequestResponse) with the event Lambda would send,
                honouring its partial batch responses. Needs lambda:InvokeFunction, and
                lambda:GetFunctionConfiguration for the events' invokeIdentityArn (the function's execution role)
                unless -invoke-identity-arn gives it.
  -mode direct  runs the function's code here, writing straight to S3 under the same keys. Needs s3:PutObject,
                and s3:GetObject on the function's progress markers (ERROR_PREFIX_progress/*) and its SCHEMA;
                settings from -config-from-function (which needs lambda:GetFunctionConfiguration) and/or the
                flags below.

Reading the queue needs sqs:ReceiveMessage, sqs:ChangeMessageVisibility, sqs:DeleteMessage and
sqs:GetQueueAttributes (and sqs:GetQueueUrl with -queue-name), and the stream's kinesis:DescribeStreamSummary,
kinesis:GetShardIterator and kinesis:GetRecords. Reading objects (-source) needs s3:ListBucket and s3:GetObject,
and s3:DeleteObject (with -redriven-objects tag: s3:GetObjectTagging and s3:PutObjectTagging instead).

With parallelization_factor > 1 a shard feeds several batches at once, and a message's range also spans the other
batches' records, already written; with filter_patterns it also spans the records the filter dropped. A range that
holds more records than the message's batchSize is kept ("range wider than the batch") with nothing reprocessed.
-allow-wider-range reprocesses such ranges whole: in record output mode that rewrites the other batches' objects;
in batch mode it writes their records again, as duplicates; either way it writes the records a filter dropped.
An S3 on-failure destination (-source) holds exactly each failed batch's records.

Redriving twice writes the same objects again: it is safe to rerun. Endpoint, region and credentials come from
the AWS SDK's default chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_KINESIS,
AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_S3, ...).

Examples:
  pipelinectl redrive -queue-name kinesis2s3-on-failure -dry-run
  pipelinectl redrive -queue-name kinesis2s3-on-failure -mode invoke -function kinesis2s3
  pipelinectl redrive -queue-name kinesis2s3-on-failure -mode direct -config-from-function kinesis2s3
  pipelinectl redrive -queue-url "$DLQ_URL" -mode direct -bucket my-bucket -output-mode batch -max-messages 10
  pipelinectl redrive -source s3://my-bucket/aws/lambda/ -dry-run
  pipelinectl redrive -source s3://my-bucket/aws/lambda/ -mode direct -config-from-function kinesis2s3 -redriven-objects tag

Flags:
`)
	fs.PrintDefaults()
}

func runRedrive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f redriveFlags
	fs := redriveFlagSet(stderr, &f)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	f.given = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.given[fl.Name] = true })
	if err := checkRedriveFlags(&f); err != nil {
		return err
	}

	awsCfg, err := loadAWSConfig(ctx)
	if err != nil {
		return err
	}
	opts := redrive.Options{
		DryRun:            f.dryRun,
		MaxMessages:       f.maxMessages,
		Concurrency:       f.concurrency,
		BatchSize:         f.batchSize,
		Retries:           f.retries,
		VisibilityTimeout: f.visibility,
		AllowWiderRange:   f.allowWiderRange,
		Log:               stderr,
	}
	var sqsClient *sqs.Client
	if f.source != "" {
		opts.Bucket, opts.Prefix, _ = parseS3Source(f.source)
		opts.Tag, opts.VisibilityTimeout = f.redrivenObjects == objectsTag, 0
	} else {
		sqsClient = sqs.NewFromConfig(awsCfg)
		opts.QueueURL = f.queueURL
		if opts.QueueURL == "" {
			out, err := sqsClient.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(f.queueName)})
			if err != nil {
				return fmt.Errorf("queue %s: %w", f.queueName, err)
			}
			opts.QueueURL = aws.ToString(out.QueueUrl)
		}
	}

	// A dry run reprocesses nothing, so it needs neither Lambda nor the direct mode's settings.
	var rp redrive.Reprocessor
	what := "dry run: nothing is reprocessed, deleted or tagged"
	if !f.dryRun {
		if rp, what, err = newReprocessor(ctx, awsCfg, &f, stderr); err != nil {
			return err
		}
	}

	var r *redrive.Redriver
	if f.source != "" {
		// The SDK would log, on every object, that S3 sent no checksum to validate (objects written without one).
		r, err = redrive.NewS3(s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }), rp, opts)
	} else {
		r, err = redrive.New(sqsClient, kinesis.NewFromConfig(awsCfg), rp, opts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "redrive: %s\n", what)
	return report(ctx, r, f.source != "", f.dryRun, stdout)
}

// report runs the redrive, prints its summary and rate, and turns what was kept into the exit status.
func report(ctx context.Context, r *redrive.Redriver, fromS3, dryRun bool, stdout io.Writer) error {
	noun, kept, unfinished := "messages", "kept on the queue", "kept and visible again"
	if fromS3 {
		noun, kept, unfinished = "objects", "left in the bucket", "left in the bucket"
	}
	began := time.Now()
	sum, runErr := r.Run(ctx)
	elapsed := time.Since(began)
	sum.Write(stdout)
	if secs := elapsed.Seconds(); secs > 0 {
		fmt.Fprintf(stdout, "  took %s: %.1f %s/s, %.0f records/s\n", elapsed.Round(time.Millisecond),
			float64(sum.Messages)/secs, noun, float64(sum.RecordsRead)/secs)
	}
	switch {
	case runErr != nil:
		return runErr
	case sum.Interrupted:
		return fmt.Errorf("interrupted; unfinished %s are %s", noun, unfinished)
	case sum.Kept > 0 && dryRun:
		return fmt.Errorf("%d of %d %s would be kept (see above)", sum.Kept, sum.Messages, noun)
	case sum.Kept > 0:
		return fmt.Errorf("%d of %d %s %s (see above)", sum.Kept, sum.Messages, noun, kept)
	}
	return nil
}

// parseS3Source splits -source s3://BUCKET/PREFIX.
func parseS3Source(s string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return "", "", fmt.Errorf("-source %q: want s3://BUCKET/PREFIX (the on-failure queue is -queue-url or -queue-name)", s)
	}
	return bucket, prefix, nil
}

// newReprocessor sets up the reprocessing of -mode and says what it does.
func newReprocessor(ctx context.Context, awsCfg aws.Config, f *redriveFlags, stderr io.Writer) (redrive.Reprocessor, string, error) {
	lambdaClient := lambda.NewFromConfig(awsCfg)
	if f.mode == modeInvoke {
		identity := f.invokeIdentity
		if identity == "" {
			identity = functionRole(ctx, lambdaClient, f.function, stderr)
		}
		return redrive.NewInvoke(lambdaClient, f.function, identity), "invoking function " + f.function, nil
	}
	env, err := functionEnv(ctx, lambdaClient, f.configFrom)
	if err != nil {
		return nil, "", err
	}
	cfg, err := directConfig(env, f.handler)
	if err != nil {
		return nil, "", err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client := s3writer.NewClient(awsCfg, cfg.ForcePathStyle, cfg.UploadConcurrency)
	w := s3writer.New(client, cfg.Bucket)
	analytics, err := shape.Load(ctx, cfg, func(ctx context.Context, bucket, key string) ([]byte, error) {
		return s3writer.Read(ctx, client, bucket, key, schema.MaxSize)
	})
	if err != nil {
		return nil, "", fmt.Errorf("direct mode settings: %w", err)
	}
	rp, err := redrive.NewDirect(cfg, w, log, process.WithShape(analytics))
	if err != nil {
		return nil, "", err
	}
	return rp, fmt.Sprintf("writing to s3://%s/%s (output mode %s, format %s, compression %s, quarantine under %s, invalid records: %s)",
		cfg.Bucket, cfg.KeyPrefix, cfg.OutputMode, cfg.Format, cfg.Compression, cfg.ErrorPrefix, cfg.OnInvalidRecord), nil
}

// checkRedriveFlags rejects bad flags by name before any AWS call.
func checkRedriveFlags(f *redriveFlags) error {
	switch {
	case f.queueURL == "" && f.queueName == "" && f.source == "":
		return errors.New("-queue-url or -queue-name is required, or -source s3://BUCKET/PREFIX for the objects of an S3 on-failure destination")
	case f.queueURL != "" && f.queueName != "":
		return errors.New("-queue-url and -queue-name exclude each other")
	case f.source != "" && (f.queueURL != "" || f.queueName != ""):
		return errors.New("-source and -queue-url or -queue-name exclude each other: redrive one on-failure destination at a time")
	case f.redrivenObjects != objectsDelete && f.redrivenObjects != objectsTag:
		return fmt.Errorf("-redriven-objects %q: want %s or %s", f.redrivenObjects, objectsDelete, objectsTag)
	case f.source == "" && f.given["redriven-objects"]:
		return errors.New("-redriven-objects: only with -source")
	case f.source != "" && f.given["visibility-timeout"]:
		return errors.New("-visibility-timeout: only for the queue (objects are not hidden while they are redriven)")
	case f.source != "" && f.allowWiderRange:
		return errors.New("-allow-wider-range: only for the queue (an on-failure object holds exactly the batch's records)")
	}
	if f.source != "" {
		if _, _, err := parseS3Source(f.source); err != nil {
			return err
		}
	}
	switch {
	case f.mode == "" && !f.dryRun:
		return errors.New("-mode is required: invoke (the deployed function) or direct (write to S3 from here); or -dry-run to look first")
	case f.mode != "" && f.mode != modeInvoke && f.mode != modeDirect:
		return fmt.Errorf("-mode %q: want invoke or direct", f.mode)
	case f.mode == modeInvoke && f.function == "":
		return errors.New("-mode invoke needs -function NAME")
	case f.maxMessages < 0:
		return fmt.Errorf("-max-messages %d: want 0 (no limit) or more", f.maxMessages)
	case f.concurrency < 1:
		return fmt.Errorf("-concurrency %d: want at least 1", f.concurrency)
	case f.batchSize < 1 || f.batchSize > redrive.MaxBatchSize:
		return fmt.Errorf("-batch-size %d: want 1-%d", f.batchSize, redrive.MaxBatchSize)
	case f.retries < 0:
		return fmt.Errorf("-retries %d: want 0 or more", f.retries)
	case f.visibility < 3*time.Second || f.visibility > 12*time.Hour || f.visibility%time.Second != 0:
		return fmt.Errorf("-visibility-timeout %v: want whole seconds from 3s to 12h", f.visibility)
	}
	var direct []string
	if f.configFrom != "" {
		direct = append(direct, "-config-from-function")
	}
	for _, h := range handlerFlags {
		if *f.handler[h.env] != "" {
			direct = append(direct, "-"+h.flag)
		}
	}
	if len(direct) > 0 && f.mode != modeDirect {
		return fmt.Errorf("%s: only for -mode direct", strings.Join(direct, ", "))
	}
	if f.mode != modeInvoke && (f.function != "" || f.invokeIdentity != "") {
		return errors.New("-function and -invoke-identity-arn: only for -mode invoke")
	}
	return nil
}

// directConfig builds the handler's configuration as the function would from its environment: env (the
// deployed function's, or empty) with the flags given laid over it, read by config.Load, so the defaults and
// checks are the handler's own.
func directConfig(env map[string]string, flags map[string]*string) (config.Config, error) {
	merged := map[string]string{}
	for k, v := range env {
		merged[k] = v
	}
	for k, v := range flags {
		if *v != "" {
			merged[k] = *v
		}
	}
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := merged[k]
		return v, ok
	})
	if err != nil {
		return config.Config{}, fmt.Errorf("direct mode settings (flags or -config-from-function): %s", flagNames(err.Error()))
	}
	return cfg, nil
}

// flagNames names, in one of the function's configuration errors, the flag of each variable it names: the
// operator gives -bucket, not BUCKET_NAME.
func flagNames(msg string) string {
	for _, h := range handlerFlags {
		// Not inside a quoted value: OUTPUT_MODE="SCHEMA" names one variable.
		msg = regexp.MustCompile(`(^|[^"\w])`+h.env+`\b`).ReplaceAllString(msg, "${1}-"+h.flag+" ("+h.env+")")
	}
	return msg
}

// functionEnv reads a deployed function's environment variables; an empty name reads nothing.
func functionEnv(ctx context.Context, api *lambda.Client, name string) (map[string]string, error) {
	if name == "" {
		return nil, nil
	}
	out, err := functionConfiguration(ctx, api, name)
	if err != nil {
		return nil, fmt.Errorf("-config-from-function %s: %w", name, err)
	}
	if out.Environment == nil {
		return nil, fmt.Errorf("-config-from-function %s: the function has no environment variables", name)
	}
	if out.Environment.Error != nil {
		return nil, fmt.Errorf("-config-from-function %s: its environment cannot be read: %s", name,
			aws.ToString(out.Environment.Error.Message))
	}
	env := maps.Clone(out.Environment.Variables)
	if env == nil {
		env = map[string]string{}
	}
	// Lambda sets the memory size only at run time, and the budgets (how large a record may decompress to, which
	// records the schema library checks) derive from it: the replay must run with the function's.
	if out.MemorySize != nil {
		env[config.EnvMemorySize] = strconv.Itoa(int(*out.MemorySize))
	}
	return env, nil
}

// functionConfiguration reads a deployed function's configuration: its environment and its role.
func functionConfiguration(ctx context.Context, api *lambda.Client, name string) (*lambda.GetFunctionConfigurationOutput, error) {
	return api.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
}

// functionRole looks up the function's execution role for the events' invokeIdentityArn. The kinesis2s3
// handler does not read that field, so a failed lookup is a note, not an error.
func functionRole(ctx context.Context, api *lambda.Client, name string, stderr io.Writer) string {
	out, err := functionConfiguration(ctx, api, name)
	if err != nil {
		fmt.Fprintf(stderr, "redrive: note: events go without invokeIdentityArn (set -invoke-identity-arn): %v\n", err)
		return ""
	}
	return aws.ToString(out.Role)
}
