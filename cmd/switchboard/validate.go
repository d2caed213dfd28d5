package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
)

// runValidate checks flow files against the config's calendars, groups,
// skills and prompts. Every issue is printed as file:line:col: message on
// stdout; the exit status is 0 when clean, 1 with issues, 2 on usage errors.
//
// Which config: --config when given; else switchboard.yaml in a directory
// argument or in its parent (validate /tmp/copy/flows finds
// /tmp/copy/switchboard.yaml); else configs/switchboard.yaml; else the
// embedded defaults. Which flows: the files named, every flow file of the
// directories named (a directory holding switchboard.yaml means its flow
// folder), or, with no arguments, the config's flow folder.
func runValidate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("validate", "validate [--config FILE] [FILE|DIR...]")
	configPath := fs.String("config", "", "config file with calendars, groups, skills and the prompt folder (default: found beside the flows, else configs/switchboard.yaml, else the embedded defaults)")
	quiet := fs.Bool("q", false, "print nothing when the flows are valid")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	paths := fs.Args()

	cfgFile := *configPath
	if cfgFile == "" {
		cfgFile = discoverConfig(paths)
	}
	cfg, err := loadConfig(cfgFile)
	if err != nil {
		fmt.Fprintf(m.Stdout, "%v\n", err)
		return exitError{1}
	}
	var issues []string
	files := map[string]bool{} // files with an issue
	for _, is := range cfg.checkServices() {
		issues = append(issues, is.format(cfg.source))
		files[cfg.source] = true
	}
	cals, calErrs := hours.Build(cfg.Calendars)
	for _, ce := range calErrs {
		for _, is := range ce.Issues {
			issues = append(issues, fmt.Sprintf("%s:%d:%d: %s", cfg.source, is.Pos.Line, is.Pos.Col, is.Message))
			files[cfg.source] = true
		}
	}
	// Check the flows against the calendars that did build, so one broken
	// calendar does not hide the flows' other problems.
	good := *cfg
	good.Calendars = map[string]hours.Config{}
	for name, c := range cfg.Calendars {
		if cals[name] != nil {
			good.Calendars[name] = c
		}
	}
	env, err := good.flowEnv()
	if err != nil {
		return err
	}
	for name := range cfg.Calendars {
		if cals[name] == nil {
			env.Calendars[name] = nil // defined, reported above: not "unknown" too
		}
	}

	srcs, err := flowSources(cfg, paths)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		return fmt.Errorf("%w: no flow files (*.yaml) found in %s", errUsage, strings.Join(orDefault(paths, cfg.flowsDir()), ", "))
	}
	cat, err := flows.Compile(ctx, srcs, env)
	var ve *flows.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, is := range ve.Issues {
			issues = append(issues, is.String())
			files[is.Pos.File] = true
		}
	case err != nil:
		return err
	}
	if len(issues) > 0 {
		for _, is := range issues {
			fmt.Fprintln(m.Stdout, is)
		}
		fmt.Fprintf(m.Stderr, "%d issue%s in %d file%s (%d flow file%s checked, config %s)\n", len(issues), plural(len(issues)),
			len(files), plural(len(files)), len(srcs), plural(len(srcs)), cfg.source)
		return exitError{1}
	}
	if !*quiet {
		names := make([]string, 0, len(cat.Flows))
		for n := range cat.Flows {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(m.Stdout, "ok: %d flow%s (%s), %d dialed number%s, config %s\n", len(names), plural(len(names)), strings.Join(names, ", "), len(cat.ByNumber), plural(len(cat.ByNumber)), cfg.source)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orDefault(paths []string, def string) []string {
	if len(paths) == 0 {
		return []string{def}
	}
	return paths
}

// discoverConfig finds the switchboard.yaml that belongs to the paths
// given: in a directory argument, beside a file, or one level up (the flow
// folder's parent). "" means the default.
func discoverConfig(paths []string) string {
	for _, p := range paths {
		dir := p
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			dir = filepath.Dir(p)
		}
		for _, d := range []string{dir, filepath.Dir(filepath.Clean(dir))} {
			if c := findConfig(d); c != "" {
				return c
			}
		}
	}
	return defaultConfigPath()
}

// flowSources reads the flow files the arguments name; positions use the
// paths as the user wrote them.
func flowSources(cfg *Config, paths []string) ([]flows.Source, error) {
	if len(paths) == 0 {
		dir := cfg.flowsDir()
		if dir == "" {
			// Embedded defaults: validate the embedded flows.
			files, err := flows.FlowFiles(cfg.fsys, cfg.Flows)
			if err != nil {
				return nil, err
			}
			var srcs []flows.Source
			for _, f := range files {
				src, err := flows.ReadSource(cfg.fsys, f, "(embedded) "+f)
				if err != nil {
					return nil, err
				}
				srcs = append(srcs, src)
			}
			return srcs, nil
		}
		paths = []string{dir}
	}
	var srcs []flows.Source
	seen := map[string]bool{}
	addFile := func(p string) error {
		if seen[filepath.Clean(p)] {
			return nil
		}
		seen[filepath.Clean(p)] = true
		src, err := flows.ReadSource(os.DirFS(filepath.Dir(p)), filepath.Base(p), p)
		if err != nil {
			return err
		}
		srcs = append(srcs, src)
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if !st.IsDir() {
			if err := addFile(p); err != nil {
				return nil, err
			}
			continue
		}
		dir := p
		if _, err := os.Stat(filepath.Join(p, "switchboard.yaml")); err == nil {
			dir = filepath.Join(p, cfg.Flows) // a config folder: its flows
		}
		files, err := flows.FlowFiles(os.DirFS(dir), ".")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f == "switchboard.yaml" {
				continue
			}
			if err := addFile(filepath.Join(dir, f)); err != nil {
				return nil, err
			}
		}
	}
	return srcs, nil
}
