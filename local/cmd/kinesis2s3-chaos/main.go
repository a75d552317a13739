// Command kinesis2s3-chaos runs the local pipeline at volume while S3 fails, runtimes crash and time out and
// ranges go to the DLQ, redrives them, and accounts for every record (see local/chaos). It is what `make chaos`
// runs; the exit status is 1 if any record was lost or anything else went wrong.
//
//	kinesis2s3-chaos [flags]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/kinesis2s3/kinesis2s3/local/chaos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "kinesis2s3-chaos: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := chaos.DefaultConfig()
	var modes string
	fs := flag.NewFlagSet("kinesis2s3-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Int64Var(&cfg.Records, "records", cfg.Records, "Kinesis records fed in each mode")
	fs.IntVar(&cfg.Shards, "shards", cfg.Shards, "shards in the stream")
	fs.StringVar(&modes, "modes", modeNames(cfg.Modes), "modes to run, in order, comma-separated")
	fs.Float64Var(&cfg.FaultShare, "fault-share", cfg.FaultShare, "share of the function's S3 requests that fail (500, 503 or a reset connection) during the brown-out")
	fs.DurationVar(&cfg.BrownOut, "brown-out", cfg.BrownOut, "how long S3 fails at random in each mode (0: until the mapping is through the stream)")
	fs.DurationVar(&cfg.FunctionTimeout, "timeout", cfg.FunctionTimeout, "the function's timeout, whole seconds")
	fs.DurationVar(&cfg.ModeTimeout, "mode-timeout", cfg.ModeTimeout, "give up on a mode after this long")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated records")
	fs.StringVar(&cfg.Schema, "schema", cfg.Schema, "the orders JSON Schema of the batch-parquet mode (`FILE`)")
	fs.StringVar(&cfg.Pipelinectl, "pipelinectl", "build/pipelinectl", "the pipelinectl binary that redrives the DLQ (make chaos builds it)")
	fs.StringVar(&cfg.LogDir, "logs", "", "keep every log in `DIR` (default: a temporary directory, removed when the run succeeds)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: kinesis2s3-chaos [flags]   (make chaos; make chaos ARGS="--records 10000")

Feeds the local pipeline (kinesalite, fauxqs, the real function under the Lambda RIE, the local event source
mapping) in each mode while the function's S3 fails at random (a brown-out), one runtime is killed mid-invocation, another
freezes into its timeout, and an S3 outage sends ranges to the DLQ; then runs pipelinectl redrive and checks
the bucket: every user record written or quarantined, none lost; duplicates counted and explained. Prints a
summary table; exit status 1 on any loss or failure.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	var err error
	if cfg.Modes, err = pickModes(modes); err != nil {
		return err
	}
	cfg.Out = stdout
	_, err = chaos.Run(ctx, cfg)
	return err
}

func modeNames(modes []chaos.Mode) string {
	var names []string
	for _, m := range modes {
		names = append(names, m.Name)
	}
	return strings.Join(names, ",")
}

// pickModes selects chaos.Modes by name, in the order given.
func pickModes(list string) ([]chaos.Mode, error) {
	var out []chaos.Mode
	for _, name := range strings.Split(list, ",") {
		i := slices.IndexFunc(chaos.Modes, func(m chaos.Mode) bool { return m.Name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("no mode %q: use some of %s", name, modeNames(chaos.Modes))
		}
		out = append(out, chaos.Modes[i])
	}
	return out, nil
}
