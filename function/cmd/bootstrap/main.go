// Command bootstrap is the Lambda function: it reads the configuration from the environment, builds the S3
// client and the processing core, and hands the Lambda runtime a handler that takes each invocation's raw payload
// (function/handler). Build it with -tags lambda.norpc for the provided.al2023 runtime.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/kinesis2s3/kinesis2s3/function/budget"
	"github.com/kinesis2s3/kinesis2s3/function/config"
	"github.com/kinesis2s3/kinesis2s3/function/handler"
	"github.com/kinesis2s3/kinesis2s3/function/process"
	"github.com/kinesis2s3/kinesis2s3/function/s3writer"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
	"github.com/kinesis2s3/kinesis2s3/function/shape"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, config.LogHandlerOptions(os.LookupEnv)))
	h, err := newHandler(context.Background(), log)
	if err != nil {
		log.Error("cold start failed", "error", err.Error())
		reportInitError(err)
		os.Exit(1)
	}
	lambda.Start(h) // a lambda.Handler: the runtime passes the payload as it is, without decoding it
}

func newHandler(ctx context.Context, log *slog.Logger) (*handler.Handler, error) {
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	b := budget.For(cfg.MemoryMB)
	limit := setMemoryLimit(cfg.MemoryMB, b)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client := s3writer.NewClient(awsCfg, cfg.ForcePathStyle, cfg.UploadConcurrency)
	// The schema, when SCHEMA names an S3 object, is read once, here.
	fetch := func(ctx context.Context, bucket, key string) ([]byte, error) {
		return s3writer.Read(ctx, client, bucket, key, schema.MaxSize)
	}
	// Lambda ends an initialisation at 10 s with an error that names nothing: a schema read that stalls (no route
	// to S3) must end before, with an error that names SCHEMA.
	loadCtx, cancel := context.WithTimeout(ctx, schemaReadTimeout)
	analytics, err := shape.Load(loadCtx, cfg, fetch)
	cancel()
	if err != nil {
		return nil, err
	}
	proc, err := process.New(cfg, s3writer.New(client, cfg.Bucket), log, process.WithShape(analytics))
	if err != nil {
		return nil, err
	}
	log.Info("configured", "bucket", cfg.Bucket, "outputMode", cfg.OutputMode, "keyPrefix", cfg.KeyPrefix,
		"compression", cfg.Compression, "errorPrefix", cfg.ErrorPrefix, "onInvalidRecord", cfg.OnInvalidRecord,
		"uploadConcurrency", cfg.UploadConcurrency, "memoryMB", cfg.MemoryMB, "goMemoryLimit", limit,
		"invocationBudget", b.Invocation, "recordLimit", b.Record, "valueLimit", b.Values, "format", cfg.Format, "schema", cfg.Schema,
		"transform", cfg.Transform != "", "timeField", cfg.TimeField, "partitionKeys", cfg.PartitionKeys, "maxPartitions", cfg.MaxPartitions)
	h := handler.New(proc, log, os.Getenv(config.EnvFunctionName), os.Stdout)
	h.MetricsLevel = config.MetricsLevel(os.LookupEnv)
	h.CollectAfter = b.CollectAfter
	return h, nil
}

// schemaReadTimeout bounds reading SCHEMA at cold start, within Lambda's 10 s for an initialisation.
const schemaReadTimeout = 5 * time.Second

// setMemoryLimit sets the Go memory limit the function's budget derives from its memory size, unless GOMEMLIMIT
// sets one already, and returns the limit in force. With it the garbage collector works harder as the heap nears
// half the function's memory, instead of letting garbage grow towards an out-of-memory kill.
func setMemoryLimit(memoryMB int, b budget.Budget) int64 {
	if v, _ := os.LookupEnv(config.EnvGoMemLimit); strings.TrimSpace(v) == "" && memoryMB > 0 { // empty: Go sets none
		debug.SetMemoryLimit(b.GoMemoryLimit)
	}
	return debug.SetMemoryLimit(-1) // -1 reads the limit without changing it
}

// reportInitError tells the Lambda Runtime API why initialisation failed, so the invoker (and the event source
// mapping's on-failure record) sees the message — which names the bad variable — instead of a bare exit status.
func reportInitError(err error) {
	api := os.Getenv(config.EnvRuntimeAPI)
	if api == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": "Runtime.ConfigurationError"})
	req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigurationError")
	client := http.Client{Timeout: 2 * time.Second}
	if resp, derr := client.Do(req); derr == nil {
		resp.Body.Close()
	}
}
