package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/scripted"
	"github.com/switchboard-cc/switchboard/routing"
)

// simRun is one simulation: its callers dial at their times while the
// script's actions happen at theirs, all on the virtual clock.
type simRun struct {
	clock   *clock.Virtual
	start   time.Time
	acd     *routing.ACD
	out     *simPrinter
	callers []simCaller
	agents  map[string]scripted.Agent
	// interactive wraps the one caller's fake so the designer types the
	// keys (no --digits); nil: the script plays.
	interactive func(*scripted.Call) ivr.Call

	fakes  []*scripted.Call // by caller, from 0
	onLine []atomic.Bool    // by caller: dialed and not yet ended
}

// play runs every caller to the end of its call, and the script's actions
// meanwhile; actions timed after the last call ended do not happen.
//
// The clock jumps when the simulated world has gone quiet. Every start and
// action is a timer set before the clock runs, and each holds the clock
// from the moment it fires until its work has reached the clock again, so
// a slow goroutine start on a busy machine cannot let time jump past it.
func (r *simRun) play(ctx context.Context, engine *ivr.Engine, actions []simAction) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.onLine = make([]atomic.Bool, len(r.callers))
	var wg sync.WaitGroup
	for i, c := range r.callers {
		dial := r.clock.HoldAfter(c.at)
		var firstStep func() // releases the hold once the call is under way
		step := r.out.stepper(c.n)
		fake := scripted.NewCall(scripted.Config{
			ID: c.id(), From: c.from, To: c.to, Clock: r.clock, Script: c.script, Agents: r.agents,
			OnStep: func(e scripted.Entry) { firstStep(); step(e) },
		})
		r.fakes = append(r.fakes, fake)
		var call ivr.Call = fake
		if r.interactive != nil {
			call = r.interactive(fake)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case firstStep = <-dial:
			case <-ctx.Done():
				return
			}
			r.onLine[i].Store(true)
			o := engine.Run(ctx, call)
			firstStep()
			r.onLine[i].Store(false)
			r.out.outcome(c, o, r.clock.Now())
		}()
	}
	due := make([]<-chan func(), len(actions))
	for i, a := range actions {
		due[i] = r.clock.HoldAfter(a.At)
	}
	scripted := make(chan struct{})
	go func() {
		defer close(scripted)
		for i, a := range actions {
			select {
			case release := <-due[i]:
				r.out.scripted(r.clock.Now(), a, r.do(ctx, a))
				release()
			case <-ctx.Done():
				return
			}
		}
	}()
	quiet := simQuiet
	if len(r.callers) > 1 || len(actions) > 0 {
		quiet = simQuietShared
	}
	go r.clock.AutoAdvance(ctx, quiet)
	wg.Wait()
	cancel()
	<-scripted
}

// do carries out one script action.
func (r *simRun) do(ctx context.Context, a simAction) error {
	if a.Caller > 0 {
		i := a.Caller - 1
		if !r.onLine[i].Load() {
			return fmt.Errorf("caller %d is not on the line", a.Caller)
		}
		switch a.Verb {
		case "digits":
			return r.fakes[i].Remote().Press(ctx, a.Arg)
		case "hangup":
			r.fakes[i].HangUp()
		}
		return nil
	}
	const by = "simulate"
	switch a.Verb {
	case "login":
		return r.acd.Login(ctx, a.Agent, by)
	case "ready":
		if err := loginIfOut(ctx, r.acd, a.Agent); err != nil {
			return err
		}
		return r.acd.Ready(ctx, a.Agent, by)
	case "not_ready":
		reason := a.Arg
		if reason == "" {
			reason = "break"
		}
		if err := loginIfOut(ctx, r.acd, a.Agent); err != nil {
			return err
		}
		return r.acd.NotReady(ctx, a.Agent, by, reason)
	case "logout":
		reason := a.Arg
		if reason == "" {
			reason = by
		}
		return r.acd.Logout(ctx, a.Agent, by, reason)
	}
	return fmt.Errorf("unknown action %q", a.Verb)
}
