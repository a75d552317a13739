package emulators

import (
	"os"
	"path/filepath"
	"testing"
)

// With --logs DIR, esm.log was created 0644 (os.Create) beside the processes' 0600 logs: readable by every local
// user, though the logs of the stack may hold record data. CreateLog makes it owner-only, also over a file an
// earlier run left readable, and starts it empty.
func TestCreateLogIsOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "esm.log")
	left := filepath.Join(dir, "old.log")
	if err := os.WriteFile(left, []byte("an earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(left, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	for _, path := range []string{fresh, left} {
		f, err := CreateLog(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("line\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want -rw------- like the processes' logs", filepath.Base(path), fi.Mode().Perm())
		}
		if got, _ := os.ReadFile(path); string(got) != "line\n" {
			t.Errorf("%s holds %q, want only what this run wrote", filepath.Base(path), got)
		}
	}
}
