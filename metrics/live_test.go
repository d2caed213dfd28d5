package metrics

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
)

// Priming from half the fixture and emitting the rest gives the same
// result as computing the whole day, and Snapshot changes nothing.
func TestLiveMatchesCompute(t *testing.T) {
	all := loadFixture(t).Events()
	split := len(all) / 2
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	opt := Options{Location: time.UTC}
	live, err := NewLive(context.Background(), events.NewLog(all[:split]...), all[split].Time, opt)
	if err != nil {
		t.Fatal(err)
	}
	early := live.Snapshot(all[split].Time)
	for _, e := range all[split:] {
		live.Emit(context.Background(), e)
	}
	got := live.Snapshot(now)
	again := live.Snapshot(now)
	want, err := Compute(context.Background(), events.NewLog(all...), time.Time{}, time.Time{}, Options{Location: time.UTC, To: now})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Rows(ByQueue), want.Rows(ByQueue)) || !reflect.DeepEqual(got.Rows(ByAgent), want.Rows(ByAgent)) {
		t.Errorf("live rows differ from compute:\n%+v\n%+v", got.Rows(ByAgent), want.Rows(ByAgent))
	}
	if got.Containment != want.Containment || !reflect.DeepEqual(got.Nodes, want.Nodes) || !reflect.DeepEqual(again.Total(), got.Total()) {
		t.Errorf("live containment %v / nodes differ, or Snapshot is not repeatable", got.Containment)
	}
	if early.Total().Offered >= got.Total().Offered {
		t.Errorf("early snapshot offered %d, final %d: the early one should see less", early.Total().Offered, got.Total().Offered)
	}
	// A new day starts from zero.
	live.Emit(context.Background(), events.Event{Time: now.AddDate(0, 0, 1), CallID: "x", Type: events.QueueEnter, Queue: "billing"})
	if n := live.Snapshot(now.AddDate(0, 0, 1).Add(time.Minute)).Total().Offered; n != 0 {
		t.Errorf("next day's offered = %d; want 0 (yesterday dropped, today's call still waiting)", n)
	}
}
