package ivr_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/internal/clock"
	"github.com/switchboard-cc/switchboard/ivr"
	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

// A two-node flow run over the scripted fake call on a virtual clock: the
// caller presses 2 at the menu.
func ExampleEngine_Run() {
	b := ivrtest.NewFlow("demo", "en", "100")
	b.Node("menu", "", &flows.MenuSpec{
		Prompts: ivrtest.P("welcome"),
		Options: map[string]*flows.Node{"1": b.Ref("sales"), "2": b.Ref("support")},
		Timeout: 5 * time.Second, Retries: 1,
	})
	b.Node("sales", "", &flows.PlaySpec{Prompts: ivrtest.P("sales")})
	b.Node("support", "", &flows.PlaySpec{Prompts: ivrtest.P("support", "digits:{{caller}}")})
	catalog := ivrtest.Catalog(b.Flow())

	clk := clock.NewVirtual(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	eng, err := ivr.New(ivr.Config{}, ivr.Deps{Catalog: func() *flows.Catalog { return catalog }, Clock: clk})
	if err != nil {
		panic(err)
	}
	steps, _ := ivrtest.ParseScript("2")
	call := ivrtest.NewCall(ivrtest.Config{From: "42", To: "100", Clock: clk, Script: steps})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go clk.AutoAdvance(ctx, time.Millisecond)
	out := eng.Run(ctx, call)

	fmt.Println(out.Result, out.Reason, out.LastNode)
	for _, p := range call.Played() {
		fmt.Println(p)
	}
	// Output:
	// completed end_of_flow support
	// en/welcome.wav
	// en/support.wav
	// en/digits/4.wav en/digits/2.wav
}
