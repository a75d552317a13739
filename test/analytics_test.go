package test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"

	"github.com/kinesis2s3/kinesis2s3/function/jsonvalue"
	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/internal/generate"
	"github.com/kinesis2s3/kinesis2s3/internal/ledger"
)

// The analytics settings of the example stack (terraform/examples/batch-athena), which the test plans to read the
// table the catalog module declares, and runs locally: the same schema file, time field and partition key, and the
// example's transform with two steps more, so that records are dropped (select) and a field the test data adds
// (card) is deleted.
const (
	exampleDir       = "../terraform/examples/batch-athena"
	exampleSchema    = exampleDir + "/orders.schema.json"
	exampleTransform = `select(.status != "cancelled") | del(.card, .customer.email) | .total_cents = ([.items[] | .quantity * .unit_price] | add * 100 | round)`
	exampleTimeField = ".created_at"
	examplePartition = "country=.customer.address.country"
)

// analyticsRecords is the number of Kinesis records each run puts.
const analyticsRecords = 600

// TestAnalytics runs the local pipeline in batch mode three times — JSON Lines with gzip, JSON Lines with zstd,
// Parquet with zstd — with a schema, a transform, a time field and a partition key, on generated orders that
// include invalid records, schema violations, KPL aggregates and late events. Then DuckDB, standing in for Athena,
// queries the objects through the table the catalog module declares (its columns and partition columns read from a
// plan of the example stack): row counts, counts and sums per partition, the transformed fields, microsecond UTC
// timestamps, and the quarantine with its reasons must all be what the generator's audit says they must be.
func TestAnalytics(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts the emulators, the function and OpenTofu")
	}
	duckqBinary(t) // skips where DuckDB is not available, before anything starts
	cli := buildPipelinectl(t)
	tables := map[string]catalogTables{"jsonl": planExampleCatalog(t, "jsonl"), "parquet": planExampleCatalog(t, "parquet")}
	target := newLocalTarget(t)
	for _, run := range []struct{ format, compression string }{{"jsonl", "gzip"}, {"jsonl", "zstd"}, {"parquet", "zstd"}} {
		t.Run(run.format+"-"+run.compression, func(t *testing.T) {
			t.Parallel()
			testAnalytics(t, target, cli, tables[run.format], run.format, run.compression)
		})
	}
}

func testAnalytics(t *testing.T, target Target, cli string, tables catalogTables, format, compression string) {
	schemaPath, err := filepath.Abs(exampleSchema)
	if err != nil {
		t.Fatal(err)
	}
	d := target.Deploy(t, PipelineSettings{OutputMode: "batch", Compression: compression, Shards: 2, BatchingWindow: time.Second,
		Format: format, SchemaFile: schemaPath, Transform: exampleTransform, TimeField: exampleTimeField, PartitionKeys: examplePartition})

	since := time.Now()
	auditPath := filepath.Join(t.TempDir(), "sent.jsonl")
	out := runPipelinectl(t, cli, d.Env, "generate", "--stream", d.StreamName, "--template-file", "testdata/orders.json.tmpl",
		"--partition-key", "{{.customer.id}}", "--count", strconv.Itoa(analyticsRecords), "--rate", "0", "--seed", "11",
		"--start-time", "2026-01-01T10:30:00Z", "--late-fraction", "0.2", "--late-by", "3h", "--out-of-order", "1m",
		"--invalid-fraction", "0.03", "--kpl-fraction", "0.1", "--kpl-records", "5", "--output", auditPath)
	if out.exit != 0 {
		t.Fatalf("generate: %s", out)
	}
	want := expectedOrders(t, auditPath)
	summary := want.counts()
	if want.late == 0 || want.violations == 0 || want.dropped == 0 || want.invalid == 0 {
		t.Fatalf("seed 11 made no late, violating, dropped or invalid records: %+v", want.counts())
	}

	dir := t.TempDir()
	waitForAnalytics(t, d, dir, format, compression, want)
	// The ledger, predicting each record on its own, must account for every one: written where it belongs, quarantined
	// with its reason, or dropped by the transform, and nothing else in the bucket.
	if rep := waitForBucket(t, d, since, want.ledger); rep.Written != len(want.written) || rep.Quarantined != len(want.quarantine) ||
		rep.Dropped != want.dropped {
		t.Errorf("ledger: %d written, %d quarantined, %d dropped; want %s", rep.Written, rep.Quarantined, rep.Dropped, summary)
	}

	// Rows: one per written record, each where its event time and country put it, with the transformed total.
	query := tables.records.scan(t, dir+"/"+strings.TrimSuffix(d.Layout.KeyPrefix, "/"), format, compression)
	tables.records.checkColumns(t, query)
	// In Parquet, what the schema does not declare is in the _extra columns: the transform deleted all of it.
	leftovers := "0"
	if format == "parquet" {
		leftovers = "(_extra IS NOT NULL OR customer._extra IS NOT NULL)::INTEGER"
	}
	rows := duckQuery(t, "SELECT order_id, total_cents, epoch_us(created_at) AS created_us, country, year, month, day, hour, "+
		leftovers+" AS leftovers FROM "+query)
	if len(rows) != len(want.written) {
		t.Fatalf("%d rows; %d records were written (%+v)", len(rows), len(want.written), want.counts())
	}
	perPartition := map[string]int{}
	sums := map[string]int64{}
	for _, r := range rows {
		id := fmt.Sprint(r["order_id"])
		w, ok := want.written[id]
		if !ok {
			t.Fatalf("row %v: no such order was written, or it is there twice", r)
		}
		delete(want.written, id)
		part := fmt.Sprintf("country=%v/year=%v/month=%02v/day=%02v/hour=%02v", r["country"], r["year"], r["month"], r["day"], r["hour"])
		if part != w.partition {
			t.Errorf("order %s in %s; its event time and country put it in %s", id, part, w.partition)
		}
		if fmt.Sprint(r["total_cents"]) != strconv.FormatInt(w.totalCents, 10) {
			t.Errorf("order %s: total_cents %v, want %d (the transform's sum of the items)", id, r["total_cents"], w.totalCents)
		}
		if fmt.Sprint(r["created_us"]) != strconv.FormatInt(w.createdMicros, 10) {
			t.Errorf("order %s: created_at %v µs, want %d (UTC, microseconds)", id, r["created_us"], w.createdMicros)
		}
		if fmt.Sprint(r["leftovers"]) != "0" {
			t.Errorf("order %s keeps a field the transform deletes: %v", id, r["leftovers"])
		}
		perPartition[part]++
		sums[fmt.Sprint(r["country"])] += w.totalCents
	}
	// Counts and sums per partition by SQL too: what an analyst's GROUP BY sees.
	for _, r := range duckQuery(t, "SELECT country, year, month, day, hour, count(*) AS n, sum(total_cents) AS total FROM "+query+
		" GROUP BY ALL ORDER BY ALL") {
		part := fmt.Sprintf("country=%v/year=%v/month=%02v/day=%02v/hour=%02v", r["country"], r["year"], r["month"], r["day"], r["hour"])
		if n := fmt.Sprint(r["n"]); n != strconv.Itoa(want.perPartition[part]) {
			t.Errorf("%s: %s rows, want %d", part, n, want.perPartition[part])
		}
	}
	for country, total := range sums {
		if total != want.sums[country] {
			t.Errorf("country %s: total_cents sums to %d, want %d", country, total, want.sums[country])
		}
	}
	if len(want.perPartition) < 4 {
		t.Errorf("only %d partitions: late events should spread the records over several hours", len(want.perPartition))
	}
	if format == "parquet" {
		checkParquetTimestamps(t, dir)
	}
	checkQuarantine(t, tables.quarantine, dir+"/"+strings.TrimSuffix(d.Layout.ErrorPrefix, "/"), want)
	logger.Default.Logf(t, "%s+%s: %s, in %d partitions", format, compression, summary, len(want.perPartition))
}

// order is what the test reads of a generated order (test/testdata/orders.json.tmpl).
type order struct {
	OrderID   string `json:"order_id"`
	CreatedAt string `json:"created_at"`
	Customer  struct {
		Address struct {
			Country *string `json:"country"`
		} `json:"address"`
	} `json:"customer"`
	Items []struct {
		Quantity  int     `json:"quantity"`
		UnitPrice float64 `json:"unit_price"`
	} `json:"items"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
}

// writtenOrder is where a written order must be, and what the transform must have made of it.
type writtenOrder struct {
	partition     string // country=…/year=…/month=…/day=…/hour=…
	totalCents    int64
	createdMicros int64
}

// quarantined is a user record that must be in the quarantine, with a reason containing reason.
type quarantined struct {
	shard, seq string
	sub        int
	reason     string
}

// expectation is what the bucket must hold after a run, computed from the generator's audit file independently of
// the function's code: the transform, the schema's rules and the partitioning are restated here for these orders.
type expectation struct {
	written                            map[string]writtenOrder // by order_id
	perPartition                       map[string]int
	sums                               map[string]int64 // total_cents by country
	quarantine                         []quarantined
	ledger                             []ledger.Expect // every user record, from the audit file
	late, violations, dropped, invalid int
}

func (e expectation) counts() string {
	return fmt.Sprintf("%d written, %d quarantined (%d schema violations, %d invalid), %d dropped, %d late Kinesis records",
		len(e.written), len(e.quarantine), e.violations, e.invalid, e.dropped, e.late)
}

func expectedOrders(t *testing.T, auditPath string) expectation {
	t.Helper()
	f, err := os.Open(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := generate.ReadAudit(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, err := ledger.FromAudit(sent)
	if err != nil {
		t.Fatal(err)
	}
	e := expectation{written: map[string]writtenOrder{}, perPartition: map[string]int{}, sums: map[string]int64{}, ledger: want}
	for _, a := range sent {
		if a.Late {
			e.late++
		}
	}
	for _, w := range want {
		if w.Quarantine {
			e.invalid++
			e.quarantine = append(e.quarantine, quarantined{w.ShardID, w.SequenceNumber, w.SubIndex, w.Reason})
			continue
		}
		var o order
		if err := json.Unmarshal(w.Data, &o); err != nil {
			t.Fatalf("audit record %s: %v", w.SequenceNumber, err)
		}
		// The transform: select(.status != "cancelled") | del(.card, .customer.email) | .total_cents = ...
		if o.Status == "cancelled" {
			e.dropped++
			continue
		}
		// The schema: currency one of USD, EUR, GBP; every quantity at least 1. The first failing location is named.
		reason := ""
		if o.Currency != "USD" && o.Currency != "EUR" && o.Currency != "GBP" {
			reason = "schema: /currency:"
		} else if i := slices.IndexFunc(o.Items, func(it struct {
			Quantity  int     `json:"quantity"`
			UnitPrice float64 `json:"unit_price"`
		}) bool {
			return it.Quantity < 1
		}); i >= 0 {
			reason = fmt.Sprintf("schema: /items/%d/quantity:", i)
		}
		if reason != "" {
			e.violations++
			e.quarantine = append(e.quarantine, quarantined{w.ShardID, w.SequenceNumber, w.SubIndex, reason})
			continue
		}
		var sum float64
		for _, it := range o.Items {
			sum += float64(it.Quantity) * it.UnitPrice
		}
		created, err := time.Parse(time.RFC3339Nano, o.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		created = created.UTC()
		country := layout.NullValue // as the function writes it
		if c := o.Customer.Address.Country; c != nil {
			country = layout.PartitionValue(jsonvalue.MakeString(*c), true)
		}
		part := fmt.Sprintf("country=%s/year=%d/month=%02d/day=%02d/hour=%02d", country, created.Year(), created.Month(), created.Day(), created.Hour())
		w := writtenOrder{partition: part, totalCents: int64(math.Round(sum * 100)), createdMicros: created.UnixMicro()}
		if _, dup := e.written[o.OrderID]; dup {
			t.Fatalf("order id %s twice in the audit", o.OrderID)
		}
		e.written[o.OrderID] = w
		e.perPartition[part]++
		e.sums[country] += w.totalCents
	}
	return e
}

// waitForAnalytics downloads the bucket into dir until the data objects hold one row per written order and the
// quarantine one entry per quarantined user record, then looks again 2 s later: nothing may have changed.
func waitForAnalytics(t *testing.T, d *Deployment, dir, format, compression string, want expectation) {
	t.Helper()
	zr, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	have := map[string]string{} // key → ETag of the file in dir
	count := func() (rows, quarantine int, err error) {
		for key, etag := range listObjects(t, d.S3, d.Bucket, "") {
			if have[key] != etag {
				out, err := d.S3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(key)})
				if err != nil {
					return 0, 0, err
				}
				body, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil {
					return 0, 0, err
				}
				path := filepath.Join(dir, filepath.FromSlash(key))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return 0, 0, err
				}
				if err := os.WriteFile(path, body, 0o644); err != nil {
					return 0, 0, err
				}
				have[key] = etag
			}
			body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
			if err != nil {
				return 0, 0, err
			}
			switch {
			case strings.HasPrefix(key, d.Layout.ErrorPrefix):
				var q struct{ Invalid []any }
				if err := json.Unmarshal(body, &q); err != nil {
					return 0, 0, fmt.Errorf("%s: %w", key, err)
				}
				quarantine += max(1, len(q.Invalid))
			case format == "parquet":
				f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
				if err != nil {
					return 0, 0, fmt.Errorf("%s: %w", key, err)
				}
				rows += int(f.NumRows())
			default:
				if compression == "gzip" {
					zg, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						return 0, 0, fmt.Errorf("%s: %w", key, err)
					}
					body, err = io.ReadAll(zg)
					if err != nil {
						return 0, 0, fmt.Errorf("%s: %w", key, err)
					}
				} else if body, err = zr.DecodeAll(body, nil); err != nil {
					return 0, 0, fmt.Errorf("%s: %w", key, err)
				}
				if bytes.Contains(body, []byte(`"card":`)) || bytes.Contains(body, []byte(`"email":`)) {
					return 0, 0, retry.FatalError{Underlying: fmt.Errorf("%s holds a field the transform deletes", key)}
				}
				rows += bytes.Count(body, []byte("\n"))
			}
		}
		return rows, quarantine, nil
	}
	check := func() (string, error) {
		rows, quarantine, err := count()
		switch {
		case err != nil:
			return "", err
		case rows > len(want.written) || quarantine > len(want.quarantine):
			return "", retry.FatalError{Underlying: fmt.Errorf("%d rows and %d quarantined; want %d and %d", rows, quarantine, len(want.written), len(want.quarantine))}
		case rows < len(want.written) || quarantine < len(want.quarantine):
			return "", fmt.Errorf("%d of %d rows and %d of %d quarantined records so far", rows, len(want.written), quarantine, len(want.quarantine))
		}
		return "", nil
	}
	if _, err := retry.DoWithRetryE(t, "waiting for every order in s3://"+d.Bucket, 90, d.Patience/90, check); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if _, err := check(); err != nil {
		t.Fatalf("the bucket changed after every record had arrived: %v", err)
	}
}

// scan is a DuckDB table expression over the objects in dir, read as the table declares: its columns (types
// translated from Glue's) and its partition columns, from the key's name=value levels.
func (g glueTable) scan(t *testing.T, dir, format, compression string) string {
	t.Helper()
	hiveTypes := make([]string, len(g.partitions))
	for i, p := range g.partitions {
		hiveTypes[i] = fmt.Sprintf("'%s': '%s'", p.name, mustDuckType(t, p.typ))
	}
	opts := fmt.Sprintf("hive_partitioning = true, hive_types = {%s}", strings.Join(hiveTypes, ", "))
	if format == "parquet" {
		return fmt.Sprintf("read_parquet('%s/**/*.parquet', %s)", dir, opts)
	}
	return fmt.Sprintf("read_json('%s/**/*.jsonl%s', format = 'newline_delimited', columns = %s, %s)", dir,
		layout.Extension(compression), g.duckColumns(t), opts)
}

// duckColumns is the table's columns as DuckDB's read_json columns argument.
func (g glueTable) duckColumns(t *testing.T) string {
	cols := make([]string, len(g.columns))
	for i, c := range g.columns {
		cols[i] = fmt.Sprintf("'%s': '%s'", c.name, mustDuckType(t, c.typ))
	}
	return "{" + strings.Join(cols, ", ") + "}"
}

func mustDuckType(t *testing.T, hive string) string {
	t.Helper()
	d, err := duckType(hive)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkColumns holds what DuckDB reads from the objects to the table's declaration: every column, with its type.
func (g glueTable) checkColumns(t *testing.T, from string) {
	t.Helper()
	names := make([]string, len(g.columns))
	for i, c := range g.columns {
		names[i] = fmt.Sprintf("%q", c.name)
	}
	got := map[string]string{}
	for _, r := range duckQuery(t, fmt.Sprintf("DESCRIBE SELECT %s FROM %s", strings.Join(names, ", "), from)) {
		got[fmt.Sprint(r["column_name"])] = fmt.Sprint(r["column_type"])
	}
	for _, c := range g.columns {
		if want := mustDuckType(t, c.typ); normalizeDuckType(got[c.name]) != normalizeDuckType(want) {
			t.Errorf("column %s: the objects hold %s; the table declares %s (%s)", c.name, got[c.name], c.typ, want)
		}
	}
}

// normalizeDuckType drops the quotes DuckDB puts around some struct field names and not others.
func normalizeDuckType(s string) string { return strings.ReplaceAll(s, `"`, "") }

// checkParquetTimestamps reads the Parquet schema of every object: created_at must be TIMESTAMP(MICROS, UTC).
func checkParquetTimestamps(t *testing.T, dir string) {
	t.Helper()
	rows := duckQuery(t, fmt.Sprintf("SELECT DISTINCT logical_type FROM parquet_schema('%s/**/*.parquet') WHERE name = 'created_at'", dir))
	if len(rows) != 1 {
		t.Fatalf("created_at logical types %v", rows)
	}
	lt := fmt.Sprint(rows[0]["logical_type"])
	if !strings.Contains(lt, "TimestampType") || !strings.Contains(lt, "isAdjustedToUTC=1") || !strings.Contains(lt, "MICROS") {
		t.Fatalf("created_at is %s; want a UTC timestamp in microseconds", lt)
	}
}

// checkQuarantine reads the quarantine through its table: every quarantined user record there, with its reason.
func checkQuarantine(t *testing.T, table glueTable, dir string, want expectation) {
	t.Helper()
	rows := duckQuery(t, fmt.Sprintf("SELECT shardId, sequenceNumber, reason, invalid FROM read_json('%s/**/*.json', columns = %s, hive_partitioning = true)",
		dir, table.duckColumns(t)))
	type entry struct {
		reason  string
		invalid map[string]string // sub index → reason
	}
	found := map[string]entry{}
	for _, r := range rows {
		e := entry{reason: fmt.Sprint(r["reason"]), invalid: map[string]string{}}
		list, _ := r["invalid"].([]any)
		for _, item := range list {
			m, _ := item.(map[string]any)
			e.invalid[fmt.Sprint(m["subIndex"])] = fmt.Sprint(m["reason"])
		}
		found[fmt.Sprint(r["shardId"])+"/"+fmt.Sprint(r["sequenceNumber"])] = e
	}
	for _, q := range want.quarantine {
		got, ok := found[q.shard+"/"+q.seq]
		if !ok {
			t.Errorf("%s/%s (user record %d) is not in the quarantine", q.shard, q.seq, q.sub)
			continue
		}
		if q.sub < 0 && !strings.Contains(got.reason, q.reason) {
			t.Errorf("%s/%s: reason %q does not say %q", q.shard, q.seq, got.reason, q.reason)
		}
		if r, ok := got.invalid[strconv.Itoa(q.sub)]; q.sub >= 0 && (!ok || !strings.HasPrefix(r, q.reason)) {
			t.Errorf("%s/%s: user record %d is not among the invalid ones with %q: %v", q.shard, q.seq, q.sub, q.reason, got.invalid)
		}
	}
}
