package awsfake

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func put(t *testing.T, b *Bucket, key, body string) {
	t.Helper()
	if _, err := b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key), Body: strings.NewReader(body),
		ContentType: aws.String("application/json")}); err != nil {
		t.Fatal(err)
	}
}

func TestBucketObjects(t *testing.T) {
	b := NewBucket("data")
	put(t, b, "a/1", "one")
	b.Put("a/2", []byte("two")) // the test's hand: not logged
	out, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("a/1")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	if string(body) != "one" || aws.ToString(out.ContentType) != "application/json" || aws.ToInt64(out.ContentLength) != 3 {
		t.Errorf("GetObject = %q %+v", body, out)
	}
	var noKey *types.NoSuchKey
	if _, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("a/3")}); !errors.As(err, &noKey) {
		t.Errorf("GetObject of a missing key: %v, want NoSuchKey", err)
	}
	var noBucket *types.NoSuchBucket
	if _, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("other"), Key: aws.String("a/1")}); !errors.As(err, &noBucket) {
		t.Errorf("GetObject in another bucket: %v, want NoSuchBucket", err)
	}
	for _, key := range []string{"a/1", "a/1", "never"} { // deleting what is not there succeeds, as in S3
		if _, err := b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String(key)}); err != nil {
			t.Errorf("DeleteObject %s: %v", key, err)
		}
	}
	if got := b.Keys(); !slices.Equal(got, []string{"a/2"}) {
		t.Errorf("keys %v", got)
	}
	if got := b.Log.Calls(); !slices.Equal(got, []string{"put a/1", "get a/1", "delete a/1", "delete a/1", "delete never"}) {
		t.Errorf("log %v", got)
	}
}

// The SDK's own paginator walks every key under the prefix, in order, across pages.
func TestBucketListsInPagesWithTheSDKPaginator(t *testing.T) {
	b := NewBucket("data")
	b.PageSize = 3
	var want []string
	for _, k := range []string{"aws/lambda/u/s/2", "aws/lambda/u/s/10", "aws/lambda/u/s/1", "kinesis/x", "aws/lambda/v/1", "aws/lambda/u/t/1", "aws/lambda/u/s/3"} {
		b.Put(k, []byte(k))
		if strings.HasPrefix(k, "aws/lambda/u/") {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	var got []string
	pages := 0
	p := s3.NewListObjectsV2Paginator(b, &s3.ListObjectsV2Input{Bucket: aws.String("data"), Prefix: aws.String("aws/lambda/u/")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
	}
	if !slices.Equal(got, want) || pages != 2 {
		t.Errorf("listed %v in %d pages, want %v in 2", got, pages, want)
	}
	out, err := b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("data"), StartAfter: aws.String("aws/lambda/v/1")})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "kinesis/x" || aws.ToBool(out.IsTruncated) {
		t.Errorf("StartAfter: %+v, %v", out, err)
	}
	for _, bad := range []*s3.ListObjectsV2Input{
		{Bucket: aws.String("data"), ContinuationToken: aws.String("made-up")},
		{Bucket: aws.String("data"), MaxKeys: aws.Int32(-1)},
		{Bucket: aws.String("data"), Delimiter: aws.String("/")},
	} {
		var api smithy.APIError
		if _, err := b.ListObjectsV2(ctx, bad); !errors.As(err, &api) {
			t.Errorf("ListObjectsV2(%+v): %v, want an API error", bad, err)
		}
	}
}

func TestBucketTags(t *testing.T) {
	b := NewBucket("data")
	b.Put("k", []byte("v"))
	tag := func(pairs ...string) error {
		var set []types.Tag
		for i := 0; i < len(pairs); i += 2 {
			set = append(set, types.Tag{Key: aws.String(pairs[i]), Value: aws.String(pairs[i+1])})
		}
		_, err := b.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("data"), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: set}})
		return err
	}
	if err := tag("team", "data", "done", "2026-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if err := tag("done", "later"); err != nil { // replaces the whole set
		t.Fatal(err)
	}
	out, err := b.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("data"), Key: aws.String("k")})
	if err != nil || len(out.TagSet) != 1 || aws.ToString(out.TagSet[0].Key) != "done" || aws.ToString(out.TagSet[0].Value) != "later" {
		t.Errorf("tags %+v, %v", out, err)
	}
	many := []string{}
	for i := range 11 {
		many = append(many, string(rune('a'+i)), "v")
	}
	for name, err := range map[string]error{"eleven": tag(many...), "twice": tag("a", "1", "a", "2"), "empty key": tag("", "v"),
		"long value": tag("a", strings.Repeat("v", 257))} {
		var api smithy.APIError
		if !errors.As(err, &api) {
			t.Errorf("%s: %v, want an API error", name, err)
		}
	}
	var noKey *types.NoSuchKey
	if _, err := b.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("data"), Key: aws.String("gone")}); !errors.As(err, &noKey) {
		t.Errorf("tags of a missing key: %v", err)
	}
	if got := b.Objects(); len(got) != 1 || got[0].Tags["done"] != "later" {
		t.Errorf("objects %+v", got)
	}
}

func TestBucketFaults(t *testing.T) {
	b := NewBucket("data")
	boom := errors.New("boom")
	b.FailNext("PutObject", boom, nil)
	if _, err := b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("k")}); err != boom {
		t.Errorf("first put: %v", err)
	}
	if _, err := b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("k")}); err != nil {
		t.Errorf("second put: %v", err)
	}
	if got := b.Log.Calls(); !slices.Equal(got, []string{"put k"}) {
		t.Errorf("log %v: a failed call is not served", got)
	}
}
