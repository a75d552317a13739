package awsfake

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const self = "github.com/kinesis2s3/kinesis2s3/local/awsfake"

// The fakes are for tests: a binary that linked them could answer for AWS without anyone noticing. The walk
// reads the imports of the module's Go files (no go command), so it runs in -short mode.
func TestOnlyTestsImportAwsfake(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, importers := 0, 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go"):
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p != self {
				continue
			}
			importers++
			if !strings.HasSuffix(path, "_test.go") {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s imports awsfake: only tests may", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 || importers == 0 {
		t.Fatalf("read %d Go files, %d import awsfake: the walk is not seeing the module", files, importers)
	}
}
