package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Direct mode runs the handler's core with the budget of the memory size it is given (function/budget): how large
// a record may decompress to, how many JSON values a record may have, which records the JSON Schema library checks.
// -config-from-function takes the function's environment, but not its memory size, which Lambda sets as
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE at run time and GetFunctionConfiguration returns as MemorySize: the replay of a
// 3,008 MB function runs with a 512 MB budget, and quarantines records the function writes (a gzip record of 40 MiB
// decompressed: the 512 MB record limit is 28 MiB, the 3,008 MB one 64 MiB). No flag sets it either.
func TestConfigFromFunctionTakesItsMemorySize(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: serves the Lambda API on a loopback port")
	}
	awsCfg := fakeLambda(t, "kinesis2s3", `{"FunctionName":"kinesis2s3","MemorySize":3008,"Role":"arn:aws:iam::000000000000:role/f",
		"Environment":{"Variables":{"BUCKET_NAME":"prod","OUTPUT_MODE":"batch","COMPRESSION":"zstd"}}}`)
	var f redriveFlags
	redriveFlagSet(&strings.Builder{}, &f)
	env, err := functionEnv(t.Context(), lambda.NewFromConfig(awsCfg), "kinesis2s3")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := directConfig(env, f.handler)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bucket != "prod" || cfg.MemoryMB != 3008 {
		t.Errorf("direct mode runs with bucket %q and %d MB (0: the 512 MB default); want prod and the function's 3008 MB",
			cfg.Bucket, cfg.MemoryMB)
	}
}

// Direct mode's settings come from flags, but a missing or bad one is reported by the function's variable name
// ("BUCKET_NAME is required", `OUTPUT_MODE="batches" is not valid`): the operator must work out that the flag to
// give is -bucket (-output-mode). The error should name the flag.
func TestDirectModeSettingErrorsNameTheFlag(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	q := []string{"redrive", "-queue-url", "http://127.0.0.1:1/000000000000/dlq", "-mode", "direct"}
	for want, args := range map[string][]string{
		"-bucket":      q,
		"-output-mode": append(q, "-bucket", "b", "-output-mode", "batches"),
	} {
		_, stderr, exit := runCmd(t, args...)
		if exit == 0 || !strings.Contains(stderr, want+" ") && !strings.Contains(stderr, want+":") {
			t.Errorf("%v: exit %d, %q; want the error to name %s", args, exit, stderr, want)
		}
	}
}

// -config-from-function names a function whose configuration has an Environment without Variables (a function whose
// variables were all removed; or the wrong function, at 3 a.m.): functionEnv clones the nil map and sets the memory
// size in it, which panics instead of saying what is wrong.
func TestConfigFromFunctionWithoutVariablesIsAnError(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: serves the Lambda API on a loopback port")
	}
	awsCfg := fakeLambda(t, "other", `{"FunctionName":"other","MemorySize":128,"Environment":{}}`)
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("functionEnv panicked: %v", r)
		}
	}()
	env, err := functionEnv(t.Context(), lambda.NewFromConfig(awsCfg), "other")
	t.Logf("env %v, error %v", env, err)
}

// fakeLambda serves GetFunctionConfiguration of the function name, answering config, and returns an AWS
// configuration that reaches it.
func fakeLambda(t *testing.T, name, config string) aws.Config {
	t.Helper()
	lambdaAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/functions/"+name+"/configuration") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(config))
	}))
	t.Cleanup(lambdaAPI.Close)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", lambdaAPI.URL)
	awsCfg, err := loadAWSConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return awsCfg
}
