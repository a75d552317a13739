package config

import (
	"log/slog"
	"strconv"
	"strings"
)

// The names of the environment variables the handler reads.
const (
	EnvBucketName        = "BUCKET_NAME"
	EnvOutputMode        = "OUTPUT_MODE"
	EnvKeyPrefix         = "KEY_PREFIX"
	EnvCompression       = "COMPRESSION"
	EnvErrorPrefix       = "ERROR_PREFIX"
	EnvOnInvalidRecord   = "ON_INVALID_RECORD"
	EnvS3ForcePathStyle  = "S3_FORCE_PATH_STYLE"
	EnvUploadConcurrency = "UPLOAD_CONCURRENCY"
	EnvMemorySize        = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
	EnvLogLevel          = "AWS_LAMBDA_LOG_LEVEL"
	EnvFunctionName      = "AWS_LAMBDA_FUNCTION_NAME"
	EnvRuntimeAPI        = "AWS_LAMBDA_RUNTIME_API"
	EnvGoMemLimit        = "GOMEMLIMIT"
	EnvSchema            = "SCHEMA"
	EnvTransform         = "TRANSFORM"
	EnvTimeField         = "TIME_FIELD"
	EnvPartitionKeys     = "PARTITION_KEYS"
	EnvMaxPartitions     = "MAX_PARTITIONS"
	EnvFormat            = "FORMAT"
)

// Defaults and bounds that other packages (the local pipeline, the redrive tool) refer to.
const (
	DefaultKeyPrefix         = "kinesis/"
	DefaultErrorPrefix       = "errors/"
	DefaultUploadConcurrency = 64
	MaxUploadConcurrency     = 512
	DefaultMaxPartitions     = 100
	MaxMaxPartitions         = 10000
)

// Who sets a variable.
const (
	SetByModule = "module" // the Terraform function module's environment map
	SetByLambda = "lambda" // the Lambda runtime, from the function's settings
	SetByUser   = "user"   // nobody by default: for S3-compatible endpoints or tuning
)

// Variable is one environment variable of the contract.
type Variable struct {
	Name     string
	SetBy    string   // SetByModule, SetByLambda or SetByUser
	Default  string   // the value when unset ("" when Required, or when unset has its own meaning)
	Required bool     // unset or empty is an error
	Allowed  []string // the accepted values, when they are a fixed set
	Min, Max int      // the accepted range of a whole number (Max 0: not a number)
	Values   string   // what a free-form value holds ("key prefix")
	Doc      string   // what it does, in one line
}

// Variables is the whole contract, in the order the README lists it.
var Variables = []Variable{
	{Name: EnvBucketName, SetBy: SetByModule, Required: true, Values: "bucket name",
		Doc: "the bucket to write to"},
	{Name: EnvOutputMode, SetBy: SetByModule, Default: ModeRecord, Allowed: []string{ModeRecord, ModeBatch},
		Doc: "one object per record, or one object per shard and partition (`FORMAT`) per invocation. Record mode pays an S3 PUT per record: about $13,000 a month at 1,000 records/s, batch mode a few tens of dollars (`pipelinectl cost`)"},
	{Name: EnvKeyPrefix, SetBy: SetByModule, Default: DefaultKeyPrefix, Values: "key prefix",
		Doc: "prefix of data objects; must not start with `/`, and with `PARTITION_KEYS` must leave the longest key within S3's 1,024 bytes (checked at cold start)"},
	{Name: EnvCompression, SetBy: SetByModule, Default: CompressionGzip,
		Allowed: []string{CompressionGzip, CompressionZstd, CompressionNone, CompressionSnappy},
		Doc:     "batch mode only; snappy with `FORMAT=parquet` only"},
	{Name: EnvErrorPrefix, SetBy: SetByModule, Default: DefaultErrorPrefix, Values: "key prefix",
		Doc: "prefix of quarantined records; must not be empty, start with `/`, or overlap `KEY_PREFIX` (one starting with the other), and must leave the longest key within S3's 1,024 bytes"},
	{Name: EnvOnInvalidRecord, SetBy: SetByModule, Default: InvalidQuarantine,
		Allowed: []string{InvalidQuarantine, InvalidFail, InvalidSkip},
		Doc:     "quarantine with the reason; or report as a batch item failure (retries, then the DLQ); or count and log only"},
	{Name: EnvSchema, SetBy: SetByModule, Values: "file or `s3://` URI",
		Doc: "JSON Schema (draft 2020-12) every record must conform to, read at cold start; the columns of `parquet`"},
	{Name: EnvTransform, SetBy: SetByModule, Values: "jq expression",
		Doc: "applied to each record before validation: one value replaces it, `empty` skips it, an error or more values quarantine it"},
	{Name: EnvTimeField, SetBy: SetByModule, Values: "field path",
		Doc: "event time, e.g. `.created_at` (RFC 3339, epoch seconds or ms): the `year=/…/hour=` partition; else arrival time"},
	{Name: EnvPartitionKeys, SetBy: SetByModule, Values: "`name=path` pairs",
		Doc: "e.g. `tenant=.customer.tenant`: `name=value/` key levels before the time levels; batch mode only"},
	{Name: EnvMaxPartitions, SetBy: SetByModule, Default: strconv.Itoa(DefaultMaxPartitions), Min: 1, Max: MaxMaxPartitions,
		Doc: "distinct partitions per invocation; the invocation ends before a record that would add more (the next one starts there)"},
	{Name: EnvFormat, SetBy: SetByModule, Default: FormatJSONL, Allowed: []string{FormatJSONL, FormatParquet},
		Doc: "batch objects as JSON Lines, or Parquet with the columns of `SCHEMA`"},
	{Name: EnvS3ForcePathStyle, SetBy: SetByUser, Default: "false", Allowed: []string{"true", "false"},
		Doc: "path-style addressing for S3-compatible endpoints"},
	{Name: EnvUploadConcurrency, SetBy: SetByModule, Default: strconv.Itoa(DefaultUploadConcurrency),
		Min: 1, Max: MaxUploadConcurrency, Doc: "concurrent S3 uploads per invocation"},
	{Name: EnvMemorySize, SetBy: SetByLambda, Min: 128, Max: 10240,
		Doc: "the function's memory in MB: the Go memory limit and the per-invocation budgets derive from it"},
	{Name: EnvLogLevel, SetBy: SetByLambda, Default: "INFO",
		Allowed: []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"},
		Doc:     "from the function's JSON logging configuration; TRACE logs as DEBUG, FATAL as ERROR"},
	{Name: EnvFunctionName, SetBy: SetByLambda, Values: "function name",
		Doc: "the `FunctionName` dimension of the metrics"},
	{Name: EnvRuntimeAPI, SetBy: SetByLambda, Values: "host:port",
		Doc: "the Lambda Runtime API, where a cold-start error is reported"},
	{Name: EnvGoMemLimit, SetBy: SetByUser, Values: "Go memory limit",
		Doc: "replaces the Go memory limit the handler derives from the memory size"},
}

// Lookup returns the contract's definition of the variable name. It panics for a name outside the contract: that
// is a programming error, not a configuration one.
func Lookup(name string) Variable {
	for _, v := range Variables {
		if v.Name == name {
			return v
		}
	}
	panic("config: " + name + " is not in the contract")
}

// LogLevel maps Lambda's application log level (AWS_LAMBDA_LOG_LEVEL) to slog; unset or unknown is INFO.
func LogLevel(lookup func(string) (string, bool)) slog.Level {
	s, _ := lookup(EnvLogLevel)
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogTimestampKey is where a log line of the function gives its time. Lambda's log-level filter reads a JSON line's
// "level" and its time: the documentation's one example names the time "timestamp", and a line without a valid time
// is taken as INFO (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html), which
// a WARN or ERROR setting would then drop. slog names it "time"; under "timestamp", the filter reads it whichever
// names it also accepts.
const LogTimestampKey = "timestamp"

// LogTimeFormat is RFC 3339 in UTC to the millisecond: the time of a log line.
const LogTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// LogHandlerOptions are the options of the function's JSON log lines (slog.NewJSONHandler): the level from
// AWS_LAMBDA_LOG_LEVEL (LogLevel), and the time under LogTimestampKey in LogTimeFormat.
func LogHandlerOptions(lookup func(string) (string, bool)) *slog.HandlerOptions {
	return &slog.HandlerOptions{Level: LogLevel(lookup), ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
			return slog.String(LogTimestampKey, a.Value.Time().UTC().Format(LogTimeFormat))
		}
		return a
	}}
}

// MetricsLevel is the "level" of the metrics line: the configured AWS_LAMBDA_LOG_LEVEL when it is WARN or above, so
// that Lambda's log-level filter keeps the line whatever the setting, else INFO.
func MetricsLevel(lookup func(string) (string, bool)) string {
	s, _ := lookup(EnvLogLevel)
	switch s = strings.ToUpper(strings.TrimSpace(s)); s {
	case "WARN", "ERROR", "FATAL":
		return s
	}
	return "INFO"
}
