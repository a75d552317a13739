package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// DuckDB is the stand-in for Athena in these tests: it reads the bucket's objects as Athena reads them, with Hive
// partitioning, through the table definition the catalog module declares. It runs as test/duckq, a module of its
// own (DuckDB is cgo), built once per test binary; it is served for linux/amd64 only, so elsewhere the queries skip.

var duckq struct {
	once sync.Once
	bin  string
	err  error
}

// duckqBinary builds test/duckq, or skips the test where DuckDB's bindings are not available.
func duckqBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("DuckDB's Go bindings are served for linux/amd64 only; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	duckq.once.Do(func() {
		dir, err := os.MkdirTemp("", "duckq-")
		if err != nil {
			duckq.err = err
			return
		}
		duckq.bin = filepath.Join(dir, "duckq")
		cmd := exec.Command("go", "build", "-o", duckq.bin, ".")
		cmd.Dir = "duckq"
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			duckq.err = fmt.Errorf("go build test/duckq (cgo, DuckDB): %v\n%s", err, out)
		}
	})
	if duckq.err != nil {
		t.Fatal(duckq.err)
	}
	return duckq.bin
}

// duckQuery runs SQL statements with DuckDB and returns the rows of the last one.
func duckQuery(t *testing.T, statements ...string) []map[string]any {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), duckqBinary(t), statements...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckq: %v\n%s", err, stderr.String())
	}
	var rows []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var row map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("duckq output %q: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	return rows
}

// duckType translates a Glue (Hive DDL) column type into DuckDB's: string, bigint, int, double, boolean, timestamp
// (with time zone: the function writes UTC instants), struct<name:type,...> and array<type>.
func duckType(hive string) (string, error) {
	p := hiveTypeParser{s: hive}
	t, err := p.parse()
	if err == nil && p.pos != len(p.s) {
		err = fmt.Errorf("unexpected %q", p.s[p.pos:])
	}
	if err != nil {
		return "", fmt.Errorf("hive type %q: %w", hive, err)
	}
	return t, nil
}

type hiveTypeParser struct {
	s   string
	pos int
}

func (p *hiveTypeParser) word() string {
	start := p.pos
	for p.pos < len(p.s) && (p.s[p.pos] == '_' || p.s[p.pos] >= 'a' && p.s[p.pos] <= 'z' ||
		p.s[p.pos] >= 'A' && p.s[p.pos] <= 'Z' || p.s[p.pos] >= '0' && p.s[p.pos] <= '9') {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *hiveTypeParser) expect(c byte) error {
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return fmt.Errorf("want %q at %d", c, p.pos)
	}
	p.pos++
	return nil
}

func (p *hiveTypeParser) parse() (string, error) {
	switch w := p.word(); w {
	case "string":
		return "VARCHAR", nil
	case "bigint":
		return "BIGINT", nil
	case "int":
		return "INTEGER", nil
	case "double":
		return "DOUBLE", nil
	case "boolean":
		return "BOOLEAN", nil
	case "timestamp":
		return "TIMESTAMP WITH TIME ZONE", nil
	case "array":
		if err := p.expect('<'); err != nil {
			return "", err
		}
		elem, err := p.parse()
		if err != nil {
			return "", err
		}
		return elem + "[]", p.expect('>')
	case "struct":
		if err := p.expect('<'); err != nil {
			return "", err
		}
		var fields []string
		for {
			name := p.word()
			if err := p.expect(':'); err != nil {
				return "", err
			}
			t, err := p.parse()
			if err != nil {
				return "", err
			}
			fields = append(fields, fmt.Sprintf("%q %s", name, t))
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			return "STRUCT(" + strings.Join(fields, ", ") + ")", p.expect('>')
		}
	default:
		return "", fmt.Errorf("unknown type %q", w)
	}
}

func TestDuckType(t *testing.T) {
	for hive, want := range map[string]string{
		"string":    "VARCHAR",
		"timestamp": "TIMESTAMP WITH TIME ZONE",
		"array<struct<_extra:string,name:string,quantity:bigint,unit_price:double>>": `STRUCT("_extra" VARCHAR, "name" VARCHAR, "quantity" BIGINT, "unit_price" DOUBLE)[]`,
		"struct<a:array<array<int>>,b:boolean>":                                      `STRUCT("a" INTEGER[][], "b" BOOLEAN)`,
	} {
		if got, err := duckType(hive); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", hive, got, err, want)
		}
	}
	for _, bad := range []string{"map<string,string>", "struct<a string>", "array<string", "string>", "decimal(10,2)"} {
		if got, err := duckType(bad); err == nil {
			t.Errorf("%s: %s, want an error", bad, got)
		}
	}
}
