package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/switchboard-cc/switchboard/flows"
)

// runGraph draws one flow as Graphviz dot, Mermaid or a standalone SVG.
func runGraph(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("graph", "graph --flow NAME [--format dot|mermaid|svg] [--flows DIR] [--config FILE] [-o FILE]")
	var (
		flowName   = fs.String("flow", "", "flow to draw (required)")
		format     = fs.String("format", flows.FormatDOT, "output format: "+strings.Join(flows.GraphFormats, ", "))
		flowsDir   = fs.String("flows", "", "flow folder (default: the config's)")
		configPath = fs.String("config", "", "config file (default: configs/switchboard.yaml if present, else the embedded defaults)")
		out        = fs.String("o", "", "write to this file instead of stdout")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *flowName == "" {
		return fmt.Errorf("%w: --flow is required", errUsage)
	}
	known := false
	for _, f := range flows.GraphFormats {
		known = known || f == *format
	}
	if !known {
		return fmt.Errorf("%w: --format %q: want %s", errUsage, *format, strings.Join(flows.GraphFormats, ", "))
	}
	cfgFile := *configPath
	if cfgFile == "" {
		var hint []string
		if *flowsDir != "" {
			hint = []string{*flowsDir}
		}
		cfgFile = discoverConfig(hint)
	}
	cfg, err := loadConfig(cfgFile)
	if err != nil {
		return err
	}
	env, err := cfg.flowEnv()
	if err != nil {
		return err
	}
	var paths []string
	if *flowsDir != "" {
		paths = []string{*flowsDir}
	}
	srcs, err := flowSources(cfg, paths)
	if err != nil {
		return err
	}
	cat, err := flows.Compile(ctx, srcs, env)
	var ve *flows.ValidationError
	if errors.As(err, &ve) {
		for _, is := range ve.Issues {
			fmt.Fprintln(m.Stderr, is)
		}
		fmt.Fprintln(m.Stderr, "the flows do not validate; fix them first (switchboard validate)")
		return exitError{1}
	}
	if err != nil {
		return err
	}
	f, ok := cat.Flows[*flowName]
	if !ok {
		names := make([]string, 0, len(cat.Flows))
		for n := range cat.Flows {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("%w: no flow %q; the flows are: %s", errUsage, *flowName, strings.Join(names, ", "))
	}
	w := m.Stdout
	if *out != "" {
		file, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer file.Close()
		if err := flows.WriteGraph(file, f, *format); err != nil {
			return err
		}
		return file.Close()
	}
	return flows.WriteGraph(w, f, *format)
}
