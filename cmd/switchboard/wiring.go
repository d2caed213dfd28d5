package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/routing"
)

// defaultConfigPath is configs/switchboard.yaml when run from a checkout,
// and "" (the embedded defaults) anywhere else.
func defaultConfigPath() string {
	const p = "configs/switchboard.yaml"
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// newACD builds the ACD from the config's roster and groups.
func newACD(cfg *Config, env flows.Env, clk clock.Clock, sink events.Sink) (*routing.ACD, error) {
	cals := make(map[string]routing.Calendar, len(env.Calendars))
	for name, c := range env.Calendars {
		cals[name] = c
	}
	acd, err := routing.New(cfg.Config, routing.Options{Clock: clk, Events: sink, Calendars: cals})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.source, err)
	}
	return acd, nil
}

// staticLookup answers every lookup with one JSON object (simulate --lookup).
type staticLookupAnswer map[string]string

func staticLookup(js string) (ivr.Lookuper, error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(js), &obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	flat := staticLookupAnswer{}
	flatten("", obj, flat)
	return flat, nil
}

func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, vv, out)
		}
	case string:
		out[prefix] = x
	case nil:
		out[prefix] = ""
	default:
		b, _ := json.Marshal(x)
		out[prefix] = string(b)
	}
}

func (s staticLookupAnswer) Lookup(context.Context, ivr.LookupRequest) (map[string]string, error) {
	out := make(map[string]string, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out, nil
}

// httpLookuper is the real self-service lookup client.
func httpLookuper() ivr.Lookuper { return nil } // replaced when package lookup lands
