// Command duckq runs SQL with DuckDB and prints each result row as a JSON object on its own line. The end-to-end
// tests use it as their query engine, the stand-in for Athena: it reads the pipeline's objects (JSON Lines, gzip,
// zstd, Parquet) with Hive partitioning, as Athena does. It is a module of its own so that DuckDB (cgo) is built for
// the tests only and never enters the handler's or the operator tool's dependencies.
//
//	duckq 'SELECT count(*) AS n FROM read_parquet(...)' ...
//
// Each argument is one statement; the rows of the last are printed. Values print as DuckDB's Go driver returns them
// (timestamps in RFC 3339), structs and lists as JSON.
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "duckq:", err)
		os.Exit(1)
	}
}

func run(statements []string) error {
	if len(statements) == 0 {
		return fmt.Errorf("usage: duckq SQL [SQL...]")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range statements[:len(statements)-1] {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	last := statements[len(statements)-1]
	rows, err := db.Query(last)
	if err != nil {
		return fmt.Errorf("%s: %w", last, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	for rows.Next() {
		values := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c] = values[i]
		}
		if err := out.Encode(row); err != nil {
			return err
		}
	}
	return rows.Err()
}
