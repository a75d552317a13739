package awsfake

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3 limits, from the S3 API reference and the object tagging guide.
const (
	maxListKeys    = 1000 // ListObjectsV2 returns at most 1,000 keys a page, also when MaxKeys asks for more
	maxObjectTags  = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// Bucket is an in-memory S3 general purpose bucket: objects with a body, a content type and a tag set, listed
// in key order (UTF-8 binary order, as S3 lists) with continuation tokens. It is safe for concurrent use.
//
// Its Log gets "put <key>", "get <key>", "delete <key>", "list <prefix>" (each ListObjectsV2 page served),
// "tags <key>" (GetObjectTagging) and "tag <key>" (PutObjectTagging).
type Bucket struct {
	// PageSize caps the keys of a ListObjectsV2 page below AWS's 1,000, so that tests exercise paging; 0 keeps
	// AWS's limit. Set it before the bucket is used.
	PageSize int
	// Log receives the calls served; NewBucket gives the bucket its own.
	Log *Log
	// Faults fail "PutObject", "GetObject", "DeleteObject", "ListObjectsV2", "GetObjectTagging" and
	// "PutObjectTagging" calls on purpose.
	Faults

	mu      sync.Mutex
	name    string
	objects map[string]*object
}

type object struct {
	body        []byte
	contentType string
	tags        map[string]string
	modified    time.Time
}

func (o *object) etag() string {
	sum := md5.Sum(o.body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// Object is an object in the bucket, as a test sees it.
type Object struct {
	Key         string
	Body        []byte
	ContentType string
	Tags        map[string]string
}

// NewBucket returns an empty bucket with the given name.
func NewBucket(name string) *Bucket {
	return &Bucket{
		Log:     &Log{},
		Faults:  newFaults("PutObject", "GetObject", "DeleteObject", "ListObjectsV2", "GetObjectTagging", "PutObjectTagging"),
		name:    name,
		objects: map[string]*object{},
	}
}

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Put stores an object, as a writer would; unlike PutObject it bypasses faults and the log.
func (b *Bucket) Put(key string, body []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = &object{body: slices.Clone(body), modified: time.Now()}
}

// Objects returns the objects in key order.
func (b *Bucket) Objects() []Object {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Object, 0, len(b.objects))
	for _, k := range slices.Sorted(maps.Keys(b.objects)) {
		o := b.objects[k]
		out = append(out, Object{Key: k, Body: slices.Clone(o.body), ContentType: o.contentType, Tags: maps.Clone(o.tags)})
	}
	return out
}

// Keys returns the keys of the objects, in order.
func (b *Bucket) Keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Sorted(maps.Keys(b.objects))
}

// serve starts a call of op on the named bucket: it fails with an injected fault or when the name is not the
// bucket's.
func (b *Bucket) serve(op string, bucket *string) error {
	if err := b.take(op); err != nil {
		return err
	}
	if aws.ToString(bucket) != b.name {
		return &types.NoSuchBucket{Message: aws.String("The specified bucket does not exist: " + aws.ToString(bucket))}
	}
	return nil
}

// find returns the object at key, or S3's NoSuchKey.
func (b *Bucket) find(key *string) (*object, error) {
	o, ok := b.objects[aws.ToString(key)]
	if !ok {
		return nil, &types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	return o, nil
}

// PutObject stores an object, replacing one at the same key (and its tags).
func (b *Bucket) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	var body []byte
	if in.Body != nil {
		var err error
		if body, err = io.ReadAll(in.Body); err != nil {
			return nil, fmt.Errorf("awsfake: read body: %w", err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.serve("PutObject", in.Bucket); err != nil {
		return nil, err
	}
	if aws.ToString(in.Key) == "" {
		return nil, s3Error("InvalidArgument", "Key must not be empty")
	}
	o := &object{body: body, contentType: aws.ToString(in.ContentType), modified: time.Now()}
	b.objects[*in.Key] = o
	b.Log.Add("put " + *in.Key)
	return &s3.PutObjectOutput{ETag: aws.String(o.etag())}, nil
}

// GetObject returns an object's body.
func (b *Bucket) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.serve("GetObject", in.Bucket); err != nil {
		return nil, err
	}
	o, err := b.find(in.Key)
	if err != nil {
		return nil, err
	}
	b.Log.Add("get " + *in.Key)
	return &s3.GetObjectOutput{
		Body: io.NopCloser(bytes.NewReader(slices.Clone(o.body))), ContentLength: aws.Int64(int64(len(o.body))),
		ContentType: aws.String(o.contentType), ETag: aws.String(o.etag()), LastModified: aws.Time(o.modified),
		TagCount: aws.Int32(int32(len(o.tags))),
	}, nil
}

// DeleteObject deletes an object. Deleting a key that does not exist succeeds, as in S3.
func (b *Bucket) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.serve("DeleteObject", in.Bucket); err != nil {
		return nil, err
	}
	b.Log.Add("delete " + aws.ToString(in.Key))
	delete(b.objects, aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

// ListObjectsV2 returns a page of the keys that start with Prefix, after StartAfter or the ContinuationToken's
// position, in order. Delimiters are not modelled.
func (b *Bucket) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.serve("ListObjectsV2", in.Bucket); err != nil {
		return nil, err
	}
	if aws.ToString(in.Delimiter) != "" {
		return nil, s3Error("InvalidArgument", "awsfake: delimiters are not modelled")
	}
	limit := maxListKeys
	if in.MaxKeys != nil {
		if *in.MaxKeys < 0 {
			return nil, s3Error("InvalidArgument", "MaxKeys must not be negative")
		}
		limit = min(limit, int(*in.MaxKeys))
	}
	if b.PageSize > 0 {
		limit = min(limit, b.PageSize)
	}
	after := aws.ToString(in.StartAfter)
	if tok := aws.ToString(in.ContinuationToken); tok != "" {
		key, ok := strings.CutPrefix(tok, "after:")
		if !ok {
			return nil, s3Error("InvalidArgument", "The continuation token provided is incorrect")
		}
		after = key
	}
	prefix := aws.ToString(in.Prefix)
	b.Log.Add("list " + prefix)
	out := &s3.ListObjectsV2Output{Name: in.Bucket, Prefix: in.Prefix, MaxKeys: aws.Int32(int32(limit)),
		ContinuationToken: in.ContinuationToken, StartAfter: in.StartAfter, IsTruncated: aws.Bool(false)}
	for _, k := range slices.Sorted(maps.Keys(b.objects)) {
		if !strings.HasPrefix(k, prefix) || k <= after {
			continue
		}
		if len(out.Contents) == limit {
			out.IsTruncated = aws.Bool(true)
			out.NextContinuationToken = aws.String("after:" + *out.Contents[len(out.Contents)-1].Key)
			break
		}
		o := b.objects[k]
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(o.body))),
			ETag: aws.String(o.etag()), LastModified: aws.Time(o.modified), StorageClass: types.ObjectStorageClassStandard})
	}
	out.KeyCount = aws.Int32(int32(len(out.Contents)))
	return out, nil
}

// GetObjectTagging returns an object's tag set.
func (b *Bucket) GetObjectTagging(_ context.Context, in *s3.GetObjectTaggingInput, _ ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.serve("GetObjectTagging", in.Bucket); err != nil {
		return nil, err
	}
	o, err := b.find(in.Key)
	if err != nil {
		return nil, err
	}
	b.Log.Add("tags " + *in.Key)
	out := &s3.GetObjectTaggingOutput{TagSet: []types.Tag{}}
	for _, k := range slices.Sorted(maps.Keys(o.tags)) {
		out.TagSet = append(out.TagSet, types.Tag{Key: aws.String(k), Value: aws.String(o.tags[k])})
	}
	return out, nil
}

// PutObjectTagging replaces an object's tag set, within S3's limits: at most 10 tags, keys of 1–128 characters
// and values of up to 256, no key twice.
func (b *Bucket) PutObjectTagging(_ context.Context, in *s3.PutObjectTaggingInput, _ ...func(*s3.Options)) (*s3.PutObjectTaggingOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.serve("PutObjectTagging", in.Bucket); err != nil {
		return nil, err
	}
	o, err := b.find(in.Key)
	if err != nil {
		return nil, err
	}
	if in.Tagging == nil {
		return nil, s3Error("MalformedXML", "Tagging is required")
	}
	if len(in.Tagging.TagSet) > maxObjectTags {
		return nil, s3Error("BadRequest", fmt.Sprintf("Object tags cannot be greater than %d", maxObjectTags))
	}
	tags := map[string]string{}
	for _, t := range in.Tagging.TagSet {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if _, dup := tags[k]; dup || k == "" || len(k) > maxTagKeyLen || len(v) > maxTagValueLen {
			return nil, s3Error("InvalidTag", fmt.Sprintf("The tag %q=%q is invalid or given twice", k, v))
		}
		tags[k] = v
	}
	o.tags = tags
	b.Log.Add("tag " + *in.Key)
	return &s3.PutObjectTaggingOutput{}, nil
}

func s3Error(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}
