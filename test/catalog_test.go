package test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gruntwork-io/terratest/modules/files"
	"github.com/gruntwork-io/terratest/modules/terraform"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/stretchr/testify/require"

	"github.com/kinesis2s3/kinesis2s3/function/layout"
	"github.com/kinesis2s3/kinesis2s3/function/schema"
)

// The table the catalog module declares for the example stack (terraform/examples/batch-athena), read from a plan:
// what Athena would query, and what the tests query with DuckDB.

// glueColumn is a column of a Glue table, as planned.
type glueColumn struct{ name, typ string }

// glueTable is a Glue table, as planned.
type glueTable struct {
	columns, partitions []glueColumn
}

// catalogTables are the catalog's two tables.
type catalogTables struct{ records, quarantine glueTable }

var examplePlans struct {
	sync.Mutex
	byFormat map[string]catalogTables
}

// planExampleCatalog plans the example stack with format (jsonl or parquet) and returns its tables. Plans are
// shared by the tests of one run.
func planExampleCatalog(t *testing.T, format string) catalogTables {
	t.Helper()
	examplePlans.Lock()
	defer examplePlans.Unlock()
	if tables, ok := examplePlans.byFormat[format]; ok {
		return tables
	}
	tofu := planTofuBinary(t)
	// The example uses the root stack as its module (source = "../.."): copy the whole terraform/ directory.
	root, err := files.CopyTerraformFolderToDest("../terraform", t.TempDir(), "kinesis2s3-example")
	require.NoError(t, err)
	// The example configures the provider itself, as a caller of the root module does (see TestTerraformPlan).
	opts := planOptions(t, tofu, filepath.Join(root, "examples", "batch-athena"), map[string]any{"format": format})
	terraform.Init(t, opts)
	plan := planAndShow(t, opts)
	tables := catalogTables{records: plannedTable(t, plan, "records"), quarantine: plannedTable(t, plan, "quarantine")}
	if examplePlans.byFormat == nil {
		examplePlans.byFormat = map[string]catalogTables{}
	}
	examplePlans.byFormat[format] = tables
	return tables
}

// plannedTable reads the Glue table aws_glue_catalog_table.<name> of the catalog module from a plan.
func plannedTable(t *testing.T, plan *terraform.PlanStruct, name string) glueTable {
	t.Helper()
	for addr, rc := range plan.ResourceChangesMap {
		if !strings.HasSuffix(addr, "module.catalog[0].aws_glue_catalog_table."+name) {
			continue
		}
		after := rc.Change.After.(map[string]any)
		sd := after["storage_descriptor"].([]any)[0].(map[string]any)
		return glueTable{columns: plannedColumns(sd["columns"]), partitions: plannedColumns(after["partition_keys"])}
	}
	t.Fatalf("the plan has no Glue table %s in the catalog module", name)
	return glueTable{}
}

func plannedColumns(v any) []glueColumn {
	var cols []glueColumn
	for _, c := range v.([]any) {
		m := c.(map[string]any)
		cols = append(cols, glueColumn{name: m["name"].(string), typ: m["type"].(string)})
	}
	return cols
}

// TestCatalogMatchesParquet holds the records table the catalog module declares, column for column, to the Parquet
// schema of the files the function writes for the same schema file and partition keys. The Parquet schema is read
// back as Hive types by walking parquet-go's nodes here, independently of how the function derived it.
func TestCatalogMatchesParquet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OpenTofu")
	}
	tables := planExampleCatalog(t, "parquet")
	doc, err := os.ReadFile(exampleSchema)
	require.NoError(t, err)
	s, err := schema.Compile(doc, "file:///orders.schema.json")
	require.NoError(t, err)
	var partitions []string
	for _, p := range tables.records.partitions {
		partitions = append(partitions, p.name)
	}
	pq, err := layout.NewParquet(s.Columns(partitions), "zstd")
	require.NoError(t, err)

	var written []glueColumn
	for _, f := range pq.Schema().Fields() {
		written = append(written, glueColumn{name: f.Name(), typ: hiveTypeOf(t, f)})
	}
	require.Equal(t, tables.records.columns, written, "Glue columns (left) and the Parquet schema the function writes (right)")
	require.Equal(t, []glueColumn{{"country", "string"}, {"year", "int"}, {"month", "int"}, {"day", "int"}, {"hour", "int"}},
		tables.records.partitions)
}

// hiveTypeOf writes a Parquet field's type as Hive DDL: the type Athena reads it as.
func hiveTypeOf(t *testing.T, n parquet.Field) string {
	t.Helper()
	var logical format.LogicalTypeValue
	if lt := n.Type().LogicalType(); lt != nil {
		logical = lt.Value
	}
	switch lt := logical.(type) {
	case *format.ListType:
		elem := n.Fields()[0].Fields()[0] // <name> (LIST) { repeated group list { element } }
		return "array<" + hiveTypeOf(t, elem) + ">"
	case *format.StringType:
		return "string"
	case *format.TimestampType:
		if _, micros := lt.Unit.Value.(*format.MicroSeconds); !lt.IsAdjustedToUTC || !micros {
			t.Errorf("%s: %s, want TIMESTAMP(MICROS, UTC)", n.Name(), lt)
		}
		return "timestamp"
	}
	if !n.Leaf() {
		var fields []string
		for _, f := range n.Fields() {
			fields = append(fields, f.Name()+":"+hiveTypeOf(t, f))
		}
		return "struct<" + strings.Join(fields, ",") + ">"
	}
	switch n.Type().Kind() {
	case parquet.Int64:
		return "bigint"
	case parquet.Double:
		return "double"
	case parquet.Boolean:
		return "boolean"
	}
	t.Fatalf("%s: no Hive type for %v", n.Name(), n.Type())
	return ""
}

// TestCatalogFixturesMatchParquet extends TestCatalogMatchesParquet to the schemas that exercise every column rule:
// terraform/tests (catalog.tftest.hcl) holds the catalog module's columns for them to the lists in
// fixtures/*.columns.txt, and this holds the Parquet schema the function writes for them, read back as Hive types,
// to the same lists.
func TestCatalogFixturesMatchParquet(t *testing.T) {
	for _, fixture := range []string{"column-rules", "column-refs"} {
		doc, err := os.ReadFile("../terraform/tests/fixtures/" + fixture + ".schema.json")
		require.NoError(t, err)
		want, err := os.ReadFile("../terraform/tests/fixtures/" + fixture + ".columns.txt")
		require.NoError(t, err)
		s, err := schema.Compile(doc, "file:///"+fixture+".schema.json")
		require.NoError(t, err)
		pq, err := layout.NewParquet(s.Columns([]string{"year", "month", "day", "hour", "tenant"}), "zstd")
		require.NoError(t, err)
		var written []string
		for _, f := range pq.Schema().Fields() {
			written = append(written, f.Name()+" "+hiveTypeOf(t, f))
		}
		require.Equal(t, strings.TrimSpace(string(want)), strings.Join(written, "\n"), fixture)
	}
}
