package events_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Who ended the conversation decides COMPLETEAGENT or COMPLETECALLER, even
// when the flow played on afterwards and the caller hung up on the goodbye.
func TestQueueLogCompleteByWhoEndedTheConversation(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		end  map[string]string
		verb string
	}{
		{map[string]string{"by": "agent", "talk_ended_by": "agent"}, "COMPLETEAGENT"},
		{map[string]string{"by": "caller", "talk_ended_by": "agent"}, "COMPLETEAGENT"},
		{map[string]string{"by": "caller", "talk_ended_by": "caller"}, "COMPLETECALLER"},
		{map[string]string{"by": "agent"}, "COMPLETEAGENT"}, // logs from before talk_ended_by
		{map[string]string{"by": "caller"}, "COMPLETECALLER"},
	} {
		evs := []events.Event{
			{Time: at(0), CallID: "c1", Type: events.CallStart, Data: map[string]string{"from": "1", "to": "96069"}},
			{Time: at(5), CallID: "c1", Type: events.QueueEnter, Queue: "billing"},
			{Time: at(15), CallID: "c1", Type: events.QueueConnect, Queue: "billing", Agent: "a1"},
			{Time: at(75), CallID: "c1", Type: events.CallEnd, Data: tc.end},
		}
		var buf bytes.Buffer
		if err := events.ExportQueueLog(context.Background(), events.NewLog(evs...), time.Time{}, time.Time{}, &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "|a1|"+tc.verb+"|") {
			t.Errorf("call.end %v: queue_log\n%s\nwant %s", tc.end, buf.String(), tc.verb)
		}
	}
}
