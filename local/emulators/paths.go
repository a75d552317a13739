package emulators

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Environment variables that point at prebuilt tools; the Makefile exports them. Without them the harness looks
// in the repository (found by walking up from the working directory to the kinesis2s3 go.mod) and installs or
// builds what is missing, so `go test ./test/...` works on its own.
const (
	EnvEmulators = "KINESIS2S3_EMULATORS" // directory with package.json and node_modules (tools/emulators)
	EnvRIE       = "KINESIS2S3_RIE"       // aws-lambda-rie binary (.bin/aws-lambda-rie)
	EnvBootstrap = "KINESIS2S3_BOOTSTRAP" // host-arch bootstrap built with -tags lambda.norpc (build/local/bootstrap)
)

const modulePath = "github.com/kinesis2s3/kinesis2s3"

// emulators holds the resolved paths of the Node-based emulators.
type emulators struct {
	dir, node, kinesisMock, kinesisMockCert, kinesalite, fauxqs string
}

// nodePackage is the npm package with this platform's Node 22 binary (fauxqs needs Node 22; kinesis-mock runs on
// it too). package.json lists them as optional dependencies, so npm installs only the one that fits.
func nodePackage(goos, goarch string) string {
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[goarch]
	return "node-" + goos + "-" + arch
}

func emulatorFiles(dir string) emulators {
	nm := filepath.Join(dir, "node_modules")
	return emulators{
		dir:             dir,
		node:            filepath.Join(nm, nodePackage(runtime.GOOS, runtime.GOARCH), "bin", "node"),
		kinesisMock:     filepath.Join(nm, "kinesis-local", "main.js"),
		kinesisMockCert: filepath.Join(nm, "kinesis-local", "server.json"),
		kinesalite:      filepath.Join(nm, "kinesalite", "index.js"),
		fauxqs:          filepath.Join(nm, "fauxqs", "dist", "app.js"),
	}
}

// npmHasNode reports whether the emulators' package.json lists a Node package for this platform.
func npmHasNode(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return false
	}
	var pkg struct {
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	if json.Unmarshal(b, &pkg) != nil {
		return false
	}
	_, ok := pkg.OptionalDependencies[nodePackage(runtime.GOOS, runtime.GOARCH)]
	return ok
}

// minNodeMajor is the oldest Node the emulators run on (fauxqs's requirement).
const minNodeMajor = 22

// withSystemNode replaces a Node binary that npm could not provide (npm has no Node 22 build for every platform,
// darwin-arm64 among them) with the node on PATH, if that is new enough.
func (e *emulators) withSystemNode(ctx context.Context) error {
	if executable(e.node) == nil {
		return nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("no Node %d+ for %s/%s: npm has none for this platform and there is no node on PATH", minNodeMajor, runtime.GOOS, runtime.GOARCH)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %w", node, err)
	}
	version := strings.TrimSpace(string(out))
	major, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(version, ".", 2)[0], "v"))
	if major < minNodeMajor {
		return fmt.Errorf("the emulators need Node %d or newer; npm has none for %s/%s and %s is %s", minNodeMajor, runtime.GOOS, runtime.GOARCH, node, version)
	}
	e.node = node
	return nil
}

// missing lists the files npm ci must still install: the emulators, and Node where npm has a build for this
// platform (package.json's optionalDependencies say which).
func (e emulators) missing() []string {
	files := []string{e.kinesisMock, e.kinesisMockCert, e.kinesalite, e.fauxqs}
	if npmHasNode(e.dir) {
		files = append(files, e.node)
	}
	var m []string
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			m = append(m, f)
		}
	}
	return m
}

// findEmulators returns the emulator paths, running `npm ci` in the emulators directory first if its
// node_modules is incomplete.
func findEmulators(ctx context.Context) (emulators, error) {
	dir, fromEnv := os.LookupEnv(EnvEmulators)
	if !fromEnv {
		root, err := repoRoot()
		if err != nil {
			return emulators{}, fmt.Errorf("emulators: %w (or set %s)", err, EnvEmulators)
		}
		dir = filepath.Join(root, "tools", "emulators")
	}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err != nil {
		return emulators{}, fmt.Errorf("emulators: %s has no package-lock.json (%s=%q)", dir, EnvEmulators, os.Getenv(EnvEmulators))
	}
	e := emulatorFiles(dir)
	if len(e.missing()) == 0 {
		return e, e.withSystemNode(ctx)
	}
	// The lock lives outside the directory: npm ci deletes node_modules, and the tree is under version control.
	err := withLock(ctx, filepath.Join(os.TempDir(), "kinesis2s3-npm-ci.lock"), func() error {
		if len(e.missing()) == 0 { // installed by another process while we waited
			return nil
		}
		// --ignore-scripts: the only install script is that of leveldown, an optional dependency of kinesalite for
		// on-disk storage, which the harness never uses (kinesalite keeps streams in memory).
		return run(ctx, dir, os.Environ(), "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	})
	if err != nil {
		return emulators{}, fmt.Errorf("emulators: install in %s: %w", dir, err)
	}
	if m := e.missing(); len(m) > 0 {
		return emulators{}, fmt.Errorf("emulators: missing after npm ci in %s: %s", dir, strings.Join(m, ", "))
	}
	return e, e.withSystemNode(ctx)
}

// findRIE returns the aws-lambda-rie binary, building it from the pinned tools module if it is missing.
func findRIE(ctx context.Context) (string, error) {
	bin, root, err := located(EnvRIE, "run make tools")
	if err != nil {
		return "", fmt.Errorf("aws-lambda-rie: %w", err)
	} else if bin != "" {
		return bin, nil
	}
	bin = filepath.Join(root, ".bin", "aws-lambda-rie")
	if executable(bin) == nil {
		return bin, nil
	}
	err = withLock(ctx, filepath.Join(root, ".bin", ".build.lock"), func() error {
		if executable(bin) == nil {
			return nil
		}
		return goBuild(ctx, filepath.Join(root, "tools"), bin, nil,
			"github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	})
	if err != nil {
		return "", fmt.Errorf("aws-lambda-rie: build into %s: %w", bin, err)
	}
	return bin, nil
}

// builtBootstrap is the bootstrap this process built.
var builtBootstrap struct {
	sync.Mutex
	path string
}

// findBootstrap returns the function's bootstrap. Without KINESIS2S3_BOOTSTRAP it (re)builds
// build/local/bootstrap from ./function/cmd/bootstrap once per process, so that a test never runs a stale handler.
func findBootstrap(ctx context.Context) (string, error) {
	bin, root, err := located(EnvBootstrap, "run make build-local")
	if err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	} else if bin != "" {
		return bin, nil
	}
	builtBootstrap.Lock()
	defer builtBootstrap.Unlock()
	if builtBootstrap.path != "" {
		return builtBootstrap.path, nil
	}
	bin = filepath.Join(root, "build", "local", "bootstrap")
	err = withLock(ctx, filepath.Join(root, "build", "local", ".build.lock"), func() error {
		return goBuild(ctx, root, bin, []string{"CGO_ENABLED=0"}, "-tags", "lambda.norpc", "-trimpath", "./function/cmd/bootstrap")
	})
	if err != nil {
		return "", fmt.Errorf("bootstrap: build ./function/cmd/bootstrap into %s: %w", bin, err)
	}
	builtBootstrap.path = bin
	return bin, nil
}

// goBuild builds into a temporary file next to out and renames it over out, so a process executing the old
// binary is never disturbed ("text file busy") and nobody sees a half-written one.
func goBuild(ctx context.Context, dir, out string, env []string, args ...string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid())
	defer os.Remove(tmp)
	argv := append([]string{"build", "-o", tmp}, args...)
	if err := run(ctx, dir, append(os.Environ(), env...), "go", argv...); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// run executes a build step, returning its combined output in the error when it fails.
func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// withLock runs fn holding an exclusive flock on path, so that parallel test binaries install or build once.
func withLock(ctx context.Context, path string, fn func() error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	locked := make(chan error, 1)
	go func() { locked <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-locked:
		if err != nil {
			return fmt.Errorf("lock %s: %w", path, err)
		}
	case <-ctx.Done():
		return fmt.Errorf("waiting for lock %s: %w", path, ctx.Err()) // closing f releases a late lock
	}
	return fn()
}

func executable(path string) error {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case st.IsDir():
		return errors.New("is a directory")
	case st.Mode()&0o111 == 0:
		return errors.New("not executable")
	}
	return nil
}

// repoRoot walks up from the working directory to the go.mod of the kinesis2s3 module (skipping tools/go.mod,
// which is a separate module).
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if moduleOf(filepath.Join(dir, "go.mod")) == modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above %s", modulePath, wd)
		}
		dir = parent
	}
}

func moduleOf(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// located returns the binary that env names when it is set (it must exist: hint says how to make it), and
// otherwise the repository root to look in.
func located(env, hint string) (bin, root string, err error) {
	if p, ok := os.LookupEnv(env); ok {
		if err := executable(p); err != nil {
			return "", "", fmt.Errorf("%s=%q: %w (%s)", env, p, err, hint)
		}
		return p, "", nil
	}
	if root, err = repoRoot(); err != nil {
		return "", "", fmt.Errorf("%w (or set %s)", err, env)
	}
	return "", root, nil
}
