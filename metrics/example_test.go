package metrics_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/metrics"
)

// The worked example: 360 calls in half an hour at 240 s AHT.
func ExampleStaff() {
	p, err := metrics.Staff(metrics.StaffingInput{
		Calls: 360, AHT: 240 * time.Second, Interval: 30 * time.Minute,
		Target:    metrics.SLTarget{Percent: 80, Threshold: metrics.Seconds(15 * time.Second)},
		Shrinkage: 0.3,
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.0f Erlangs: %d agents, %d scheduled, SL %.1f%%, ASA %.1f s\n",
		p.Erlangs, p.Agents, p.Scheduled, 100*p.ServiceLevel, p.ASA)
	// Output: 48 Erlangs: 55 agents, 79 scheduled, SL 84.6%, ASA 8.2 s
}

func ExampleCompute() {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	log := events.NewLog(
		events.Event{Time: at(0), CallID: "c1", Type: events.QueueEnter, Queue: "billing"},
		events.Event{Time: at(12), CallID: "c1", Type: events.QueueConnect, Queue: "billing", Agent: "a1"},
		events.Event{Time: at(192), CallID: "c1", Type: events.CallEnd, Data: map[string]string{"by": "caller"}},
		events.Event{Time: at(222), CallID: "c1", Type: events.AgentWrapupEnd, Queue: "billing", Agent: "a1"},
	)
	res, err := metrics.Compute(context.Background(), log, time.Time{}, time.Time{}, metrics.Options{})
	if err != nil {
		panic(err)
	}
	billing := res.QueueTotals()["billing"]
	fmt.Println("answered", billing.Answered, "ASA", billing.ASA.Format(false), "AHT", billing.AHT.Format(false),
		"SL", billing.ServiceLevel.Format(true))
	// Output: answered 1 ASA 12.0 AHT 210.0 SL 100.0%
}
