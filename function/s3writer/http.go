package s3writer

import (
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

func httpClient(concurrency int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = max(t.MaxIdleConns, concurrency)
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, concurrency)
	})
}
