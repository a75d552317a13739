// Package awsfake is an in-memory Kinesis data stream, SQS queue and S3 bucket for tests: one Stream, one Queue
// and one Bucket that answer the SDK calls the event source mapping (local/esm) and the redrive
// (internal/redrive) make, as AWS documents them, so that both are tested against the same behaviour.
//
// It is a normal package rather than a _test.go file only so that tests of several packages can share it; no
// product or simulator code may import it (TestOnlyTestsImportAwsfake checks). The tests that run the real
// emulators (kinesis-mock, fauxqs) remain the proof against a real server; these fakes are for the pure,
// -short tests: no process, no network, and full control over what AWS only does now and then (empty pages,
// expired iterators, throttling, trimming, resharding).
//
// Each fake has two sides. Its exported SDK-shaped methods (GetRecords, ReceiveMessage, PutObject, …) are the
// service: they validate their input and fail with the SDK's typed errors where AWS documents one. Its other
// methods (Put, Split, Trim, Send, Messages, Objects, FailNext, …) are the test's hand on the service and its
// view into it; they bypass injected faults and the call log.
//
// Where AWS leaves a behaviour undocumented, or the fake simplifies, the field or method says so. Not modelled:
// hash key ranges, PutRecord(s) (tests place records on a shard directly), shard-level throughput limits (inject
// ProvisionedThroughputExceededException with FailNext instead), SQS long polling (a receive returns at once),
// delays, FIFO queues and message attributes, S3 delimiters, versions, multipart uploads and conditional
// requests.
package awsfake
