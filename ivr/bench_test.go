package ivr_test

import (
	"context"
	"testing"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
	"github.com/switchboard-cc/switchboard/routing"
)

// instantCall answers every Collect at once: "1" n times, then "2".
type instantCall struct {
	n    int
	done chan struct{}
}

func (c *instantCall) ID() string                                         { return "bench" }
func (c *instantCall) From() string                                       { return "5551234" }
func (c *instantCall) To() string                                         { return "100" }
func (c *instantCall) Answer(context.Context) error                       { return nil }
func (c *instantCall) Done() <-chan struct{}                              { return c.done }
func (c *instantCall) Keys() *ivr.Keypad                                  { return ivr.NewKeypad() }
func (c *instantCall) Hold(context.Context, ivr.Playback) error           { return nil }
func (c *instantCall) Play(context.Context, ivr.Playback) (string, error) { return "", nil }
func (c *instantCall) Collect(context.Context, ivr.Collect) (ivr.Collected, error) {
	if c.n > 0 {
		c.n--
		return ivr.Collected{Digits: "1", Stop: ivr.StopMaxDigits}, nil
	}
	return ivr.Collected{Digits: "2", Stop: ivr.StopMaxDigits}, nil
}
func (c *instantCall) Record(context.Context, ivr.Record) (ivr.Recording, error) {
	return ivr.Recording{}, nil
}
func (c *instantCall) Connect(context.Context, routing.Offer) (ivr.Leg, error) { return nil, nil }
func (c *instantCall) Transfer(context.Context, ivr.Transfer) error            { return nil }
func (c *instantCall) Hangup(context.Context, string) error                    { return nil }

// BenchmarkMenuLoop measures the engine's cost per node transition: a menu
// whose key 1 leads back to itself, answered instantly, with every event
// (ivr.node, ivr.prompt, ivr.digits) emitted to a sink. One op is one
// transition.
func BenchmarkMenuLoop(b *testing.B) {
	fb := ivrtest.NewFlow("bench", "en", "100")
	fb.Node("menu", "", &flows.MenuSpec{Prompts: ivrtest.P("main_menu"),
		Options: map[string]*flows.Node{"1": fb.Ref("menu"), "2": fb.Ref("end")}, Retries: 1})
	fb.Node("end", "", &flows.HangupSpec{})
	cat := ivrtest.Catalog(fb.Flow())
	var n int
	sink := events.SinkFunc(func(context.Context, events.Event) { n++ })
	eng, err := ivr.New(ivr.Config{MaxSteps: 10}, ivr.Deps{
		Catalog: func() *flows.Catalog { return cat }, Clock: clock.Real{}, Events: sink,
	})
	if err != nil {
		b.Fatal(err)
	}
	eng.Run(context.Background(), &instantCall{n: 10, done: make(chan struct{})}) // warm the caches
	b.ReportAllocs()
	b.ResetTimer()
	out := eng.Run(context.Background(), &instantCall{n: b.N, done: make(chan struct{})})
	b.StopTimer()
	if out.Reason != ivr.ReasonHangupNode || out.Steps != b.N+2 {
		b.Fatalf("outcome %+v; want hangup after %d steps", out, b.N+2)
	}
}

// keypadCall is instantCall with its keys going through the call's Keypad
// and the engine's one collector, as on a real transport: each Collect
// finds the caller's key buffered (typed ahead) and takes it.
type keypadCall struct {
	instantCall
	keys *ivr.Keypad
}

func (c *keypadCall) Keys() *ivr.Keypad { return c.keys }
func (c *keypadCall) Collect(ctx context.Context, col ivr.Collect) (ivr.Collected, error) {
	key := '2'
	if c.n > 0 {
		c.n--
		key = '1'
	}
	c.keys.Press(key)
	return ivr.CollectKeys(ctx, clock.Real{}, c.keys, col)
}

// BenchmarkMenuLoopKeypad is BenchmarkMenuLoop with the keys going through
// the Keypad and CollectKeys: the collector must not cost an allocation
// per transition either.
func BenchmarkMenuLoopKeypad(b *testing.B) {
	fb := ivrtest.NewFlow("bench", "en", "100")
	fb.Node("menu", "", &flows.MenuSpec{Prompts: ivrtest.P("main_menu"),
		Options: map[string]*flows.Node{"1": fb.Ref("menu"), "2": fb.Ref("end")}, Retries: 1})
	fb.Node("end", "", &flows.HangupSpec{})
	cat := ivrtest.Catalog(fb.Flow())
	sink := events.SinkFunc(func(context.Context, events.Event) {})
	eng, err := ivr.New(ivr.Config{MaxSteps: 10}, ivr.Deps{
		Catalog: func() *flows.Catalog { return cat }, Clock: clock.Real{}, Events: sink,
	})
	if err != nil {
		b.Fatal(err)
	}
	call := func(n int) *keypadCall {
		return &keypadCall{instantCall: instantCall{n: n, done: make(chan struct{})}, keys: ivr.NewKeypad()}
	}
	eng.Run(context.Background(), call(10)) // warm the caches
	c := call(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	out := eng.Run(context.Background(), c)
	b.StopTimer()
	if out.Reason != ivr.ReasonHangupNode || out.Steps != b.N+2 {
		b.Fatalf("outcome %+v; want hangup after %d steps", out, b.N+2)
	}
}
