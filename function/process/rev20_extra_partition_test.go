package process

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kinesis2s3/kinesis2s3/function/config"
)

// TestParquetPartitionKeyNamedExtraIsRefused (review 20): PARTITION_KEYS accepts the name _extra
// (layout.PartitionKeysPattern: [a-z_][a-z0-9_]*), and with FORMAT=parquet every Parquet file also has its root
// _extra column, which the catalog module declares as a data column beside the partition column _extra. Athena
// cannot read a table with two columns of one name, so every query fails; the function starts and writes anyway.
// A configuration whose partition column collides with a Parquet column must fail at cold start, naming
// PARTITION_KEYS (and the Terraform variable's validation must agree).
func TestParquetPartitionKeyNamedExtraIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(path, []byte(`{"type":"object","properties":{"id":{"type":"string"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cfg("batch")
	c.Format, c.Compression, c.Schema, c.PartitionKeys, c.MaxPartitions = config.FormatParquet, "zstd", path, "_extra=.source", 100
	p, err := New(c, newMem(), nil)
	if err != nil {
		if !strings.Contains(err.Error(), config.EnvPartitionKeys) || !strings.Contains(err.Error(), "_extra") {
			t.Errorf("refused, but the error does not name %s and _extra: %v", config.EnvPartitionKeys, err)
		}
		return
	}
	var names []string
	for _, col := range p.columns {
		names = append(names, col.Name)
	}
	if slices.Contains(names, "_extra") {
		t.Errorf("PARTITION_KEYS=%s with FORMAT=parquet starts: the files' columns %q and the partition column _extra share a name", c.PartitionKeys, names)
	}
}
