package s3writer

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// An S3-compatible endpoint behind a private CA (what S3_FORCE_PATH_STYLE is for) is reached with the SDK's own
// setting, AWS_CA_BUNDLE, which awsconfig.LoadDefaultConfig turns into the HTTP client of the aws.Config it returns.
// NewClient must keep that client's trust roots when it sizes the connection pool: it replaces the client with a
// new one, so every PUT (and the cold start's SCHEMA read) fails with an unknown-authority error.
func TestClientKeepsTheCABundle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local HTTPS server")
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("ETag", `"0"`)
	}))
	t.Cleanup(srv.Close)
	bundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	cfg, err := awsconfig.LoadDefaultConfig(context.Background(),
		awsconfig.WithRegion("us-east-1"),
		awsconfig.WithSharedConfigFiles([]string{}), awsconfig.WithSharedCredentialsFiles([]string{}),
		awsconfig.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		})),
		awsconfig.WithCustomCABundle(bytes.NewReader(bundle)),
		awsconfig.WithBaseEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	w := New(NewClient(cfg, true, 4), "b")
	if err := w.Put(context.Background(), "kinesis/1.json", []byte(`{"a":1}`), "application/json"); err != nil {
		t.Fatalf("PUT to an endpoint the CA bundle trusts: %v", err)
	}
}
