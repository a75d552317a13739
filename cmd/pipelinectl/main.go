// Command pipelinectl is the operator CLI of kinesis2s3: it generates test data into a stream, redrives the
// batches that the event source mapping gave up on, and estimates the monthly bill of a workload. It links no part
// of the local stand-in for AWS: the local pipeline behind `make run` is its own program,
// local/cmd/kinesis2s3-local.
//
//	pipelinectl generate --stream NAME [flags]
//	pipelinectl redrive  --queue-url URL [flags]
//	pipelinectl cost     [--records-per-second N --record-size BYTES --mode batch ...]
//
// AWS endpoints, region and credentials come from the SDK's standard chain (AWS_REGION, AWS_ENDPOINT_URL, ...).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"golang.org/x/term"
)

// command is one subcommand. Each lives in its own file and registers itself in init.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pipelinectl: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "pipelinectl %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// parseFlags parses a subcommand's flags. help is true when -h printed the usage, and the command has nothing more
// to do. Every subcommand takes flags only, so a leftover argument is an error.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q (flags go before it; see -h)", fs.Arg(0))
	}
	return false, nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pipelinectl <command> [flags]   (pipelinectl <command> -h for its flags)")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
}

// loadAWSConfig loads the AWS SDK's default configuration, which must name a region: every client needs one.
func loadAWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: set AWS_REGION or a profile's region")
	}
	return cfg, nil
}

// isTerminal reports whether w is a terminal, which gets live progress lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
