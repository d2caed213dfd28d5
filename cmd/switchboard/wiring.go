package main

import (
	"context"
	"fmt"
	"os"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/lookup"
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

// newACD builds the ACD from the config's roster and groups; extra set
// more of its options (withCallbacks, withClaims).
func newACD(cfg *Config, env flows.Env, clk clock.Clock, sink events.Sink, extra ...func(*routing.Options)) (*routing.ACD, error) {
	cals := make(map[string]routing.Calendar, len(env.Calendars))
	for name, c := range env.Calendars {
		cals[name] = c
	}
	rc := cfg.Config
	rc.NotReadyReasons = append(append([]string(nil), rc.NotReadyReasons...), routing.ReasonPhoneUnavailable) // routing.DeviceGate parks agents with it
	opts := routing.Options{Clock: clk, Events: sink, Calendars: cals}
	for _, f := range extra {
		f(&opts)
	}
	acd, err := routing.New(rc, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.source, err)
	}
	return acd, nil
}

// withCallbacks tells f when a callback's turn comes (the trunk's dialer).
func withCallbacks(f func(routing.CallbackDue)) func(*routing.Options) {
	return func(o *routing.Options) { o.Callbacks = f }
}

// staticLookup answers every lookup with one JSON object (simulate --lookup),
// flattened exactly as a real lookup's answer would be.
type staticLookupAnswer map[string]string

func staticLookup(js string) (ivr.Lookuper, error) {
	flat, err := lookup.Flatten([]byte(js))
	if err != nil {
		return nil, err
	}
	return staticLookupAnswer(flat), nil
}

func (s staticLookupAnswer) Lookup(context.Context, ivr.LookupRequest) (map[string]string, error) {
	out := make(map[string]string, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out, nil
}

// httpLookuper is the real self-service lookup client.
func httpLookuper(cfg lookup.Config) ivr.Lookuper { return lookup.New(cfg) }
