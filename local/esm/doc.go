// Package esm is a local event source mapping: it reads a Kinesis stream the way AWS Lambda's Kinesis event
// source mapping does and invokes a function with the same events, retries, bisection, partial batch
// responses and on-failure records. It is what the local pipeline and the tests run instead of the Lambda
// service, so each behaviour below follows a statement in AWS's documentation (quoted in short); where AWS
// says nothing, the choice made is marked CHOICE.
//
// # Reading the stream
//
//   - Shards. "Lambda polls each shard in your Kinesis stream for records at a base rate of once per second.
//     When more records are available, Lambda keeps processing batches until the function catches up." One
//     poller per shard (shard.go, readShard) calls GetRecords again at once after records and waits
//     Config.PollInterval (default 1 s) after an empty answer. Shards come from ListShards (paged), repeated
//     every Config.DiscoveryInterval and as soon as a shard ends.
//   - Resharding. A child shard is read only when every parent listed by ListShards is fully processed:
//     SHARD_END reached (GetRecords returned no NextShardIterator) and every record checkpointed. CHOICE
//     (AWS only says records are processed in order): this is the Kinesis Client Library's rule; a parent that
//     ListShards no longer returns has been trimmed and is not waited for. A GetRecords answer without
//     NextShardIterator is SHARD_END, whether or not it carries records (see "The local Kinesis engine").
//   - StartingPosition. TRIM_HORIZON, LATEST or AT_TIMESTAMP (StartingPositionTimestamp) applies to the shards
//     of the first listing. CHOICE: under LATEST, shards already closed then are skipped (nothing arrives in
//     them after "now"); shards that appear later were created by resharding and are read from TRIM_HORIZON,
//     so that no record written to a child is missed. Checkpoints live in memory: a new Run starts over.
//
// # Batches
//
//   - "Before invoking the function, Lambda continues to read records from the event source until it has
//     gathered a full batch, the batching window expires, or the batch reaches the payload limit of 6 MB."
//     gather (batch.go) does exactly that; a record that would push the event past PayloadLimit (6 MiB) goes to
//     the next batch. The size is that of the exact JSON sent. CHOICE: the window starts when the batch takes
//     its first record (AWS: "the next batching window begins as soon as the previous function invocation
//     completes" — the same thing when records are waiting, and it keeps a sparse stream from being invoked
//     one record at a time). A lane that will get no more records (shard end, stop) does not wait out the
//     window. A single record larger than the limit (Kinesis allows records up to 10 MiB) makes an event Lambda
//     cannot invoke with: it is retried, as a failure to invoke, until it is older than MaximumRecordAge
//     ("If a Lambda event source mapping is unable to invoke the function ... it retries until the records
//     expire or exceed the maximum age").
//   - BatchSize 1–10,000, MaximumBatchingWindowInSeconds 0–300, ParallelizationFactor 1–10,
//     MaximumRetryAttempts -1 or 0–10,000 and MaximumRecordAgeInSeconds -1 or 60–604,800 are
//     CreateEventSourceMapping's ranges ("The minimum valid value for maximum record age is 60s"), checked by
//     Config.Validate. The API's rule "when you set BatchSize to a value greater than 10, you must set
//     MaximumBatchingWindowInSeconds to at least 1" is not enforced: AWS's own Kinesis examples run BatchSize
//     100 with a 0 s window, so it does not apply to Kinesis.
//   - ParallelizationFactor: "Lambda can process up to 10 batches in each shard simultaneously. If you
//     increase the number of concurrent batches per shard, Lambda still ensures in-order processing at the
//     partition-key level." Each shard has that many lanes; a record goes to lane FNV-1a(partition key) mod
//     factor (CHOICE of hash), so a key always uses the same lane, and a lane runs one batch at a time. The
//     shard's checkpoint is the end of the longest prefix of records that are all done, so a lane stuck on a
//     record holds the checkpoint without holding the other lanes; the shard's reading waits only when
//     2 × BatchSize × factor records are read and not yet done, or 300,000 done ones (a shard's writes over
//     the longest window) are held behind the checkpoint (CHOICE: the bounds of the read-ahead).
//
// # The event
//
// The payload is AWS's Kinesis event, byte for byte as in the developer guide's example
// (kinesisevent.TestEncodeIsAWSExampleEvent): Records[] with kinesis{kinesisSchemaVersion "1.0", partitionKey,
// sequenceNumber, data (base64), approximateArrivalTimestamp (Unix seconds with three decimals)},
// eventSource "aws:kinesis", eventVersion "1.0", eventID "<shardId>:<sequenceNumber>", eventName
// "aws:kinesis:record", invokeIdentityArn, awsRegion and eventSourceARN, in that key order. aws-lambda-go's
// events.KinesisEvent decodes it (its float decoding may land the arrival time nanoseconds early). CHOICE:
// invokeIdentityArn defaults to arn:aws:iam::ACCOUNT:role/FUNCTION-role, awsRegion to the stream's region.
//
// # Results
//
//   - Function errors and timeouts: the Invoker returns them as InvokeResult.FunctionError and both are
//     function errors. An Invoker error means the function was not invoked at all.
//   - ReportBatchItemFailures (kinesisevent): "Lambda treats a batch as a complete success if you return ... an
//     empty batchItemFailure list, a null batchItemFailure list, an empty EventResponse, a null EventResponse"
//     and "as a complete failure if you return ... an empty string itemIdentifier, a null itemIdentifier, an
//     itemIdentifier with a bad key name". "If the batchItemFailures array contains multiple items, Lambda uses
//     the record with the lowest sequence number as the checkpoint. Lambda then retries all records starting
//     from that checkpoint." CHOICES where AWS is silent: a response that is not JSON, or JSON that is not an
//     object or null, is a complete failure; a missing (or misspelt) batchItemFailures key reads as a null list,
//     i.e. success; keys are case-sensitive; an identifier that is not a string, not a sequence number, or not
//     a record of the batch fails the whole batch (the safe reading: nothing is checkpointed on a response
//     that cannot be trusted). Without ReportBatchItemFailures the response is not read ("these responses
//     will not be processed by Lambda unless the ReportBatchItemFailures feature is explicitly turned on").
//
// # Retries, bisection, record age
//
// process (batch.go) handles one batch until every record succeeded or was discarded.
//
//   - "If the function receives the records but returns an error, Lambda retries until the records in the
//     batch expire, exceed the maximum age, or reach the configured retry quota." MaximumRetryAttempts is
//     "the maximum number of times that Lambda retries when the function returns an error": a batch is
//     invoked at most 1 + MaximumRetryAttempts times before it is discarded.
//   - A partial batch response is a failure of the records from the reported one on: the records before it
//     are checkpointed, the rest are retried, and that retry counts against MaximumRetryAttempts exactly like a
//     function error ("Lambda retries failures based on your retry strategy"). This is what stops a record the
//     function keeps reporting from being retried forever (TestPartialFailureCountsAgainstMaximumRetryAttempts).
//   - BisectBatchOnFunctionError: "If your invocation fails and BisectBatchOnFunctionError is turned on, the
//     batch is bisected regardless of your ReportBatchItemFailures setting" and "Splitting a batch does not
//     count towards the retry quota." A whole-batch failure of more than one record splits it into halves (the
//     first half, rounded up, runs first) without consuming a retry; a failing single record consumes one.
//     "When a partial batch success response is received and both BisectBatchOnFunctionError and
//     ReportBatchItemFailures are turned on, the batch is bisected at the returned sequence number and Lambda
//     retries only the remaining records": the remainder is retried as is (not halved) and the retry counts.
//     CHOICES: halves inherit the retries their batch had consumed (the count never goes back, so the total
//     work is bounded); a response that fails the whole batch (bad itemIdentifier) is handled like a function
//     error, bisection included; successive retries of a batch are spaced by a backoff (WithRetryBackoff,
//     100 ms doubling to 10 s), which AWS does not specify.
//   - "Before invocation: If a Lambda event source mapping is unable to invoke the function due to throttling
//     or other issues, it retries until the records expire or exceed the maximum age ... (MaximumRecordAge)."
//     Invoker errors are retried with the backoff and never counted as retries. CHOICE: with MaximumRecordAge
//     -1 they are retried until Run stops (AWS: until the records leave the stream's retention).
//   - MaximumRecordAge: "Discard records older than the specified age" / "The maximum age of a record that
//     Lambda sends to your function." Before every invocation, including the first, the leading records of the
//     batch that arrived more than MaximumRecordAge ago are discarded with condition RecordAgeExceeded and the
//     rest is invoked. CHOICE: only the leading run is checked, so a discarded range is always contiguous.
//
// # Discarding: the on-failure record
//
// "If the error handling measures fail, Lambda discards the records and continues processing batches from the
// stream." With an on-failure destination set, discard delivers an onfailure.Record first, in AWS's documented
// shape: requestContext{requestId, functionArn, condition RetryAttemptsExhausted|RecordAgeExceeded,
// approximateInvokeCount}, responseContext{statusCode, executedVersion, functionError}, version "1.0",
// timestamp, KinesisBatchInfo{shardId, startSequenceNumber, endSequenceNumber,
// approximateArrivalOfFirstRecord, approximateArrivalOfLastRecord, batchSize, streamArn}. Only when the
// destination has accepted it does the checkpoint move past the records; a failed delivery is retried with the
// backoff for as long as it takes, and a stop before it succeeds leaves the records unprocessed, never lost.
// Without a destination the records are discarded (AWS: "If no destination is set, the records will be
// bypassed") with a Discarded event and a log line. CHOICES: requestId is a fresh random UUID (the Invoker does
// not return Lambda's); approximateInvokeCount is the number of invocations that carried the discarded records,
// bisected ancestors included, and 0 for records never invoked; responseContext is statusCode 200,
// executedVersion "$LATEST" and the last FunctionError ("" after a partial response), or zero values when the
// records were never invoked; times are UTC with millisecond precision. One record is sent per discarded range;
// AWS notes that with bisection batchSize "could be greater than 1 since Lambda consolidates failed messages
// metadata", which is not imitated. With ParallelizationFactor > 1 a lane's batch is not contiguous in the
// shard, so the start–end range can include records of other lanes that succeeded; batchSize says how many were
// discarded, and a redrive of the range reprocesses the others (at-least-once, as AWS).
//
// The destination is one of two (DestinationConfig.OnFailure takes one ARN):
//
//   - An SQS queue (OnFailureQueueURL): the record alone, as the message body. "Because Lambda sends only the
//     metadata for these destination types, use the streamArn, shardId, startSequenceNumber, and
//     endSequenceNumber fields to obtain the full original record" — while the stream still holds it.
//   - An S3 bucket (OnFailureBucketARN, with WithS3): "For Amazon S3 destinations, Lambda also sends the entire
//     invocation record along with the metadata": the same record plus payload, "the original invocation record
//     as an escaped JSON string" (AWS's example: "payload": "<Whole Event>"), here the Kinesis event of exactly
//     the discarded records, as the function was (or, for records too old to be sent, would have been) invoked
//     with it. "The S3 object containing the invocation record uses the following naming convention:
//     aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>" (onfailure.ObjectKey, with
//     Config.UUID). The destination is the bucket's ARN: AWS documents no way to choose a key prefix, and
//     Validate rejects an ARN with a key in it. The execution role needs "s3:PutObject and s3:ListBucket" for it;
//     locally nothing checks permissions. CHOICES: the key's time is the record's timestamp in UTC; the key is
//     chosen once per record, so a retried PutObject overwrites the same object instead of leaving a second one;
//     Content-Type is application/json (AWS does not say).
//
// # Stopping
//
// Run returns when its context is done, after every goroutine stopped. Invocations in flight see the context
// cancelled; a batch whose invocation still succeeded is checkpointed, any other in-flight or buffered record is
// left without a checkpoint, and no retry, invocation or on-failure send starts after the stop.
//
// # The local Kinesis engine
//
// Locally the stream is kinesalite 3.3.3 (local/emulators; kinesis-mock on request). TestKinesisEngine checks,
// against the engine in use, every behaviour of Kinesis that the mapping relies on, and records the engine's
// answer where it differs from Kinesis in a way the pipeline does not depend on. kinesalite's deviations:
//
//   - ListShards never pages: it returns every shard and no NextToken, whatever MaxResults says. Kinesis pages
//     at 1,000 shards by default, so the mapping's paging loop (follow NextToken, without StreamName) never runs
//     locally; TestListShardsIsPaged covers it, and kinesis-mock pages.
//   - No UpdateShardCount (UnknownOperationException). SplitShard and MergeShards work, with EndingSequenceNumber
//     on the closed parents and ParentShardId / AdjacentParentShardId on the children, which is all the mapping
//     reads: TestOnTheEmulators reshards with them.
//   - GetRecords returns no ChildShards (the mapping finds children with ListShards), and ends a closed shard
//     with one more, empty, answer without NextShardIterator after the last records (Kinesis leaves
//     NextShardIterator out of the last answer with records). Both are SHARD_END to the mapping.
//   - MillisBehindLatest is always 0 on an open shard (Kinesis: how far the page is behind the tip). The mapping
//     does not read it. pipelinectl redrive takes an empty page with MillisBehindLatest 0 as the tip, which
//     holds: kinesalite answers an empty page only at the tip.
//   - No throughput limits: PutRecords never fails a record and nothing is ever throttled
//     (ProvisionedThroughputExceededException), and GetRecords answers are not capped at 10 MiB. Local runs
//     therefore never exercise the retries on throttling (the mapping's on read errors, the generator's on
//     rejected records); the unit tests do.
//   - Shard iterators expire after 5 minutes, with ExpiredIteratorException, as in Kinesis; no test waits that
//     long, and the mapping's reopening after the last record read is unit-tested.
//   - StreamModeDetails is ignored (every stream is provisioned) and shards per account are capped at 1,000 by
//     the launcher (kinesalite's default is 10).
//
// Two answers of kinesalite would break the pipeline's tools; the launcher (local/emulators/kinesalite.mjs)
// corrects them and TestKinesisEngine checks the result: a StreamARN without StreamName (redrive names streams
// by ARN; kinesalite predates the parameter and drops it) gets the StreamName the ARN ends with, and
// GetShardIterator AT_TIMESTAMP on a shard with no record at or after the time, which kinesalite never answers,
// returns an iterator at the tip, as Kinesis does.
//
// kinesis-mock, in turn, slows down as its shards fill (about 570 records/s put for the first 5,000 records of a
// 2-shard stream, 65/s past 25,000), answers a malformed iterator with HTTP 500, and accepts another shard's
// sequence number in GetShardIterator.
//
// # Observability
//
// WithLogger logs every Event with slog; WithEventHandler receives them (invocations, failures, bisections,
// retries, on-failure sends, discards, checkpoints, shard start and end); Stats returns counters and
// Checkpoints each shard's position.
package esm
