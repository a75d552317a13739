package test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/gruntwork-io/terratest/modules/retry"

	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/kpl"
	"github.com/kinesis2s3/kinesis2s3/internal/wire/onfailure"
)

// e2eEntry is a Kinesis record a scenario puts, and what must become of it.
type e2eEntry struct {
	data         []byte
	partitionKey string
	// subs are the user records of a valid KPL aggregate; each must be written on its own.
	subs [][]byte
	// quarantine marks an invalid record; reason is what its quarantine reason must say.
	quarantine bool
	reason     string
}

// validEntry is a JSON record with insignificant white space (batch mode must compact it, record mode must keep
// it byte for byte) and characters that a careless encoder would escape or mangle.
func validEntry(run string, n int, partitionKey string) e2eEntry {
	data := fmt.Sprintf("{ \"run\": %q, \"n\": %d,\n  \"text\": \"grüße <&> €\", \"list\": [1, 2.5, true, null] }", run, n)
	return e2eEntry{data: []byte(data), partitionKey: partitionKey}
}

// notJSONEntry is valid UTF-8 that is not one JSON value.
func notJSONEntry(partitionKey string) e2eEntry {
	return e2eEntry{data: []byte(`{"unterminated": [1, 2`), partitionKey: partitionKey, quarantine: true, reason: "invalid JSON"}
}

// badUTF8Entry is JSON-shaped but not UTF-8.
func badUTF8Entry(partitionKey string) e2eEntry {
	return e2eEntry{data: []byte("{\"name\": \"caf\xe9\"}"), partitionKey: partitionKey, quarantine: true, reason: "invalid UTF-8"}
}

// badKPLEntry is a KPL aggregate of two valid records whose MD5 trailer is corrupted.
func badKPLEntry(run string, n int, partitionKey string) e2eEntry {
	data := kpl.Marshal([]kpl.Record{
		{PartitionKey: partitionKey, Data: validEntry(run, n, "").data},
		{PartitionKey: partitionKey, Data: validEntry(run, n+1, "").data},
	})
	data[len(data)-1] ^= 0xFF
	return e2eEntry{data: data, partitionKey: partitionKey, quarantine: true, reason: "MD5"}
}

// kplEntry is a valid KPL aggregate of count records, numbered from n.
func kplEntry(run string, n, count int, partitionKey string) e2eEntry {
	var recs []kpl.Record
	var subs [][]byte
	for i := range count {
		d := validEntry(run, n+i, "").data
		recs = append(recs, kpl.Record{PartitionKey: partitionKey, Data: d})
		subs = append(subs, d)
	}
	return e2eEntry{data: kpl.Marshal(recs), partitionKey: partitionKey, subs: subs}
}

// putEntry is an entry that Kinesis accepted, with where it landed.
type putEntry struct {
	e2eEntry
	shardID, seq string
}

// expects says where the entry's user records must end up.
func (p putEntry) expects() []ledger.Expect {
	if len(p.subs) > 0 {
		var out []ledger.Expect
		for i, d := range p.subs {
			out = append(out, ledger.Expect{ShardID: p.shardID, SequenceNumber: p.seq, SubIndex: i, Data: d})
		}
		return out
	}
	return []ledger.Expect{{ShardID: p.shardID, SequenceNumber: p.seq, SubIndex: -1, Data: p.data, Quarantine: p.quarantine, Reason: p.reason}}
}

func expectsOf(entries []putEntry) []ledger.Expect {
	var out []ledger.Expect
	for _, p := range entries {
		out = append(out, p.expects()...)
	}
	return out
}

// putRecords puts the entries with the Kinesis PutRecords API, up to 500 a call, resending only the entries
// Kinesis rejected (throttling), and returns them with the shard and sequence number Kinesis gave each.
func putRecords(t *testing.T, d *Deployment, entries []e2eEntry) []putEntry {
	t.Helper()
	out := make([]putEntry, len(entries))
	for start := 0; start < len(entries); start += 500 {
		pending := make([]int, 0, 500)
		for i := start; i < min(start+500, len(entries)); i++ {
			pending = append(pending, i)
		}
		for attempt := 1; len(pending) > 0; attempt++ {
			if attempt > 10 {
				t.Fatalf("PutRecords: %d records still rejected after 10 attempts", len(pending))
			}
			req := make([]kinesistypes.PutRecordsRequestEntry, len(pending))
			for j, i := range pending {
				req[j] = kinesistypes.PutRecordsRequestEntry{Data: entries[i].data, PartitionKey: aws.String(entries[i].partitionKey)}
			}
			resp, err := d.Kinesis.PutRecords(t.Context(), &kinesis.PutRecordsInput{StreamName: aws.String(d.StreamName), Records: req})
			if err != nil {
				t.Fatalf("PutRecords: %v", err)
			}
			var rejected []int
			for j, r := range resp.Records {
				i := pending[j]
				if r.ErrorCode != nil {
					rejected = append(rejected, i)
					continue
				}
				out[i] = putEntry{e2eEntry: entries[i], shardID: aws.ToString(r.ShardId), seq: aws.ToString(r.SequenceNumber)}
			}
			if pending = rejected; len(pending) > 0 {
				time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
			}
		}
	}
	return out
}

// waitForBucket waits until every expected record is in the bucket, then checks once more after the pipeline
// had time to do anything it still had in flight (a late retry that duplicates a record must not go unseen),
// and fails the test unless every record is where it belongs exactly once and nothing else is there.
func waitForBucket(t *testing.T, d *Deployment, since time.Time, want []ledger.Expect) ledger.Report {
	t.Helper()
	c, err := ledger.NewChecker(d.S3, d.Bucket, d.Layout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Since = since
	var rep ledger.Report
	check := func() (string, error) {
		if rep, err = c.Check(t.Context(), want); err != nil {
			return "", err
		}
		if len(rep.Duplicates) > 0 || len(rep.Problems) > 0 {
			return "", retry.FatalError{Underlying: rep.Err()}
		}
		if !rep.Complete() {
			return "", fmt.Errorf("%d of %d user records not in s3://%s yet", len(rep.Missing), rep.Expected, d.Bucket)
		}
		return "", nil
	}
	interval := d.Patience / 90
	if _, err := retry.DoWithRetryE(t, "waiting for every record in s3://"+d.Bucket, 90, interval, check); err != nil {
		t.Fatalf("bucket %s: %v\n%v", d.Bucket, err, rep.Err())
	}
	time.Sleep(2 * time.Second)
	if _, err := check(); err != nil {
		t.Fatalf("bucket %s changed after every record had arrived: %v", d.Bucket, err)
	}
	return rep
}

// receiveOnFailure waits for the first on-failure records in the DLQ, deletes what it received, and returns it
// parsed.
func receiveOnFailure(t *testing.T, d *Deployment) []onfailure.Record {
	t.Helper()
	var got []onfailure.Record
	_, err := retry.DoWithRetryE(t, "waiting for an on-failure record in "+d.DLQURL, 90, d.Patience/90, func() (string, error) {
		msgs, err := receive(t.Context(), d, 1)
		if err != nil {
			return "", err
		}
		for _, m := range msgs {
			r, err := onfailure.Parse([]byte(aws.ToString(m.Body)))
			if err != nil {
				return "", retry.FatalError{Underlying: fmt.Errorf("DLQ message %q: %w", aws.ToString(m.Body), err)}
			}
			got = append(got, r)
		}
		if len(got) == 0 {
			return "", errors.New("no on-failure record yet")
		}
		return "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// receive takes up to 10 messages from the DLQ, waiting up to wait seconds for the first, and deletes them.
func receive(ctx context.Context, d *Deployment, wait int32) ([]sqstypes.Message, error) {
	out, err := d.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(d.DLQURL), MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", d.DLQURL, err)
	}
	for _, m := range out.Messages {
		if _, err := d.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(d.DLQURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			return nil, fmt.Errorf("delete from %s: %w", d.DLQURL, err)
		}
	}
	return out.Messages, nil
}

// dlqEmpty fails the test if the DLQ holds an on-failure record.
func dlqEmpty(t *testing.T, d *Deployment) {
	t.Helper()
	msgs, err := receive(t.Context(), d, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		t.Errorf("unexpected on-failure record: %s", aws.ToString(m.Body))
	}
}

// listObjects maps every key under prefix ("" for the whole bucket) to its ETag.
func listObjects(t *testing.T, client *s3.Client, bucket, prefix string) map[string]string {
	t.Helper()
	objects := map[string]string{}
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			objects[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return objects
}
