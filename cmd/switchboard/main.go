// Command switchboard is the IVR and call-routing server and the flow
// designer's tools, one binary with subcommands (DESIGN §6).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGINT stops at once. The first SIGTERM asks serve to drain: no new
	// calls, the calls in progress finish; a second SIGTERM stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drain := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		draining := false
		for sig := range sigs {
			if sig == syscall.SIGTERM && !draining {
				draining = true
				close(drain)
				continue
			}
			cancel()
		}
	}()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Drain: drain}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the program, so end-to-end tests run it in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Drain, when closed, asks serve to stop gracefully: refuse new calls,
	// let the calls in progress finish (up to --drain), then stop.
	Drain <-chan struct{}
	// Ready, when set, is called by serve with the bound addresses once it
	// accepts calls and requests (tests use it instead of sleeping).
	Ready func(Addrs)
}

// Addrs are the addresses serve actually bound (ports may have been 0).
type Addrs struct {
	SIP  string
	HTTP string
}

// errUsage marks a command-line mistake: exit status 2 after usage.
var errUsage = errors.New("usage")

// exitError carries a specific exit status (validate exits 1 on issues).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

func (m *Main) commands() []command {
	return []command{
		{"serve", "run the telephony server, API and wallboard", runServe},
		{"validate", "check flow files; print file:line:col issues", runValidate},
		{"simulate", "walk a flow in the terminal on a virtual clock", runSimulate},
		{"graph", "draw a flow as dot, mermaid or svg", runGraph},
		{"report", "call-center metrics from the event log", runReport},
		{"staffing", "Erlang C staffing per interval", runStaffing},
		{"loadgen", "place SIP test calls and measure them", runLoadgen},
	}
}

// Run executes the command line and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		m.usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range m.commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, m, args[1:])
		var ee exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ee):
			return ee.code
		case errors.Is(err, errUsage):
			fmt.Fprintf(m.Stderr, "switchboard %s: %v\nTry: switchboard %s -h\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(m.Stderr, "switchboard %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(m.Stderr, "switchboard: unknown command %q\nTry: switchboard help\n", args[0])
	return 2
}

func (m *Main) usage() {
	fmt.Fprintln(m.Stderr, "Usage: switchboard COMMAND [flags]\n\nCommands:")
	for _, c := range m.commands() {
		fmt.Fprintf(m.Stderr, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(m.Stderr, "\nRun 'switchboard COMMAND -h' for a command's flags.")
}

// newFlagSet returns a FlagSet that reports to m.Stderr and does not exit.
func (m *Main) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: switchboard %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func (m *Main) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
}
