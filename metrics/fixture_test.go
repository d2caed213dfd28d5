package metrics

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/jsonl"
)

func loadFixture(t testing.TB) *events.Log {
	t.Helper()
	f, err := os.Open("testdata/fixture-day.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log := events.NewLog()
	if _, err := jsonl.Import(context.Background(), f, log, 0); err != nil {
		t.Fatal(err)
	}
	return log
}

func computeFixture(t *testing.T, opt Options) *Result {
	t.Helper()
	r, err := Compute(context.Background(), loadFixture(t), time.Time{}, time.Time{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ratio(n, d float64) Ratio { return Ratio{n, d} }

// Every expected value is derived by hand in testdata/README.md.
func TestFixtureDayQueues(t *testing.T) {
	r := computeFixture(t, Options{})
	q := r.QueueTotals()
	tot := r.Total()
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"billing offered", q["billing"].Offered, 5},
		{"billing answered", q["billing"].Answered, 3},
		{"billing abandoned", q["billing"].Abandoned, 2},
		{"billing short abandoned", q["billing"].ShortAbandoned, 1},
		{"billing SL late-abandons", q["billing"].ServiceLevel, ratio(2, 4)},
		{"billing abandonment", q["billing"].AbandonRate, ratio(2, 5)},
		{"billing ASA", q["billing"].ASA, ratio(60, 3)},
		{"billing AHT", q["billing"].AHT, ratio(770, 3)},
		{"billing longest wait", q["billing"].LongestWait, Seconds(45 * time.Second)},
		{"outage offered", q["outage"].Offered, 2},
		{"outage timed out", q["outage"].TimedOut, 1},
		{"outage SL", q["outage"].ServiceLevel, ratio(1, 1)},
		{"outage ASA", q["outage"].ASA, ratio(5, 1)},
		{"outage AHT", q["outage"].AHT, ratio(130, 1)},
		{"outage transferred", q["outage"].Transferred, 1},
		{"total offered", tot.Offered, 7},
		{"total SL", tot.ServiceLevel, ratio(3, 5)},
		{"total abandonment", tot.AbandonRate, ratio(2, 7)},
		{"total ASA", tot.ASA, ratio(65, 4)},
		{"total AHT", tot.AHT, ratio(900, 4)},
		{"total avg hold", tot.AvgHold, ratio(60, 4)},
		{"total avg ACW", tot.AvgACW, ratio(60, 4)},
		{"total longest wait", tot.LongestWait, Seconds(60 * time.Second)},
		{"total occupancy", tot.Occupancy, ratio(900, 19440)},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestFixtureDaySLFormulas(t *testing.T) {
	for _, tc := range []struct {
		f       SLFormula
		billing Ratio
		total   Ratio
	}{
		{SLLateAbandons, ratio(2, 4), ratio(3, 5)},
		{SLAnswered, ratio(2, 3), ratio(3, 4)},
		{SLAsterisk, ratio(3, 5), ratio(4, 6)},
		{SLConnect, ratio(3, 5), ratio(4, 7)},
	} {
		r := computeFixture(t, Options{SLFormula: tc.f})
		if got := r.QueueTotals()["billing"].ServiceLevel; got != tc.billing {
			t.Errorf("%s: billing SL = %v; want %v", tc.f, got, tc.billing)
		}
		if got := r.Total().ServiceLevel; got != tc.total {
			t.Errorf("%s: total SL = %v; want %v", tc.f, got, tc.total)
		}
	}
	// With short abandons counted (threshold disabled) C3 becomes an
	// abandon within T: billing offered 6, abandoned 3.
	r := computeFixture(t, Options{ShortAbandon: -1})
	if b := r.QueueTotals()["billing"]; b.Offered != 6 || b.Abandoned != 3 || b.ShortAbandoned != 0 {
		t.Errorf("no short-abandon threshold: billing = %d offered, %d abandoned, %d short; want 6, 3, 0", b.Offered, b.Abandoned, b.ShortAbandoned)
	}
}

func TestFixtureDayAgents(t *testing.T) {
	r := computeFixture(t, Options{})
	rows := map[string]Row{}
	for _, row := range r.Rows(ByAgent) {
		rows[row.Key] = row
	}
	s := func(sec int) Seconds { return Seconds(time.Duration(sec) * time.Second) }
	a1, a2 := rows["a1"], rows["a2"]
	if a1.LoggedIn != s(10800) || a1.NotReady != s(1860) || a1.Busy != s(590) || a1.Occupancy != ratio(590, 8940) {
		t.Errorf("a1 = login %v, not ready %v, busy %v, occupancy %v; want 10800, 1860, 590, 590/8940",
			a1.LoggedIn, a1.NotReady, a1.Busy, a1.Occupancy)
	}
	if want := map[string]Seconds{"login": s(60), "lunch": s(1800)}; !reflect.DeepEqual(a1.NotReadyBy, want) {
		t.Errorf("a1 not ready by reason = %v; want %v", a1.NotReadyBy, want)
	}
	if a2.LoggedIn != s(10800) || a2.NotReady != s(300) || a2.Busy != s(310) || a2.Occupancy != ratio(310, 10500) {
		t.Errorf("a2 = login %v, not ready %v, busy %v, occupancy %v; want 10800, 300, 310, 310/10500",
			a2.LoggedIn, a2.NotReady, a2.Busy, a2.Occupancy)
	}
	if a1.Rung != 2 || a1.NoAnswer != 0 || a2.Rung != 3 || a2.NoAnswer != 1 {
		t.Errorf("rung/no answer = a1 %d/%d, a2 %d/%d; want 2/0, 3/1", a1.Rung, a1.NoAnswer, a2.Rung, a2.NoAnswer)
	}
	if a1.AHT != ratio(590, 2) || a2.AHT != ratio(310, 2) {
		t.Errorf("AHT a1 = %v, a2 = %v; want 590/2, 310/2", a1.AHT, a2.AHT)
	}
}

func TestFixtureDayIVR(t *testing.T) {
	r := computeFixture(t, Options{})
	want := CallOutcomes{Total: 10, Agent: 4, SelfService: 2, Abandoned: 3, DroppedInIVR: 1}
	if r.Calls != want {
		t.Errorf("outcomes = %+v; want %+v", r.Calls, want)
	}
	if r.Containment != ratio(2, 10) {
		t.Errorf("containment = %v; want 2/10", r.Containment)
	}
	nodes := map[string]NodeStats{}
	for _, n := range r.Nodes {
		nodes[n.Node] = n
	}
	mm := nodes["main_menu"]
	if mm.Visits != 10 || mm.DropOffs != 1 || !reflect.DeepEqual(mm.Choices, map[string]int{"1": 6, "2": 2, "3": 1}) || mm.Type != "menu" {
		t.Errorf("main_menu = %+v; want 10 visits, 1 drop-off, choices 1:6 2:2 3:1", mm)
	}
	for name, visits := range map[string]int{"billing": 6, "outage": 2, "after_hours": 1, "voicemail": 1, "outage_status": 1, "goodbye": 2, "end": 2} {
		if nodes[name].Visits != visits || nodes[name].DropOffs != 0 {
			t.Errorf("%s = %+v; want %d visits, 0 drop-offs", name, nodes[name], visits)
		}
	}
	if r.Repeat.Calls != 10 || r.Repeat.Within24h != 1 || r.Repeat.Within7d != 1 {
		t.Errorf("repeat = %+v; want 10 calls, 1 within 24 h, 1 within 7 d", r.Repeat)
	}
	if want := []DayTraffic{{Day: "2026-11-02", Inbound: 10, Answered: 4, Missed: 4}}; !reflect.DeepEqual(r.Days, want) {
		t.Errorf("days = %+v; want %+v", r.Days, want)
	}
}

func TestFixtureDayIntervals(t *testing.T) {
	r := computeFixture(t, Options{})
	rows := map[string]Row{}
	for _, row := range r.Rows(ByInterval) {
		rows[row.Key] = row
	}
	// 09:00–09:30: C2 answered (30 s), C4 abandoned late, C5 within T, C3 short.
	i := rows["2026-11-02T09:00:00Z"]
	if i.Offered != 3 || i.Answered != 1 || i.Abandoned != 2 || i.ShortAbandoned != 1 || i.ServiceLevel != ratio(0, 2) {
		t.Errorf("09:00 interval = %+v", i)
	}
	// a1's lunch 10:00–10:30 fills its interval: 1800 s not ready of 1800 logged in.
	l := rows["2026-11-02T10:00:00Z"]
	if l.LoggedIn != Seconds(3600*time.Second) || l.NotReady != Seconds(1800*time.Second) {
		t.Errorf("10:00 interval login %v, not ready %v; want 3600 s, 1800 s", l.LoggedIn, l.NotReady)
	}
	// Busy time is split at boundaries: sum over intervals = whole day.
	var busy time.Duration
	for _, row := range rows {
		busy += time.Duration(row.Busy)
	}
	if busy != 900*time.Second {
		t.Errorf("busy summed over intervals = %v; want 900 s", busy)
	}
	days := r.Rows(ByDay)
	if len(days) != 1 || days[0].Key != "2026-11-02" || days[0].Offered != 7 {
		t.Errorf("by day = %+v", days)
	}
	if m := r.Rows(ByMonth); len(m) != 1 || m[0].Key != "2026-11" {
		t.Errorf("by month = %+v", m)
	}
}

func TestReportJSON(t *testing.T) {
	r := computeFixture(t, Options{})
	b, err := json.Marshal(r.Report(ByQueue))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SLFormula string `json:"sl_formula"`
		Total     struct {
			ServiceLevel *float64 `json:"service_level"`
			AHT          *float64 `json:"aht_seconds"`
		} `json:"total"`
		Rows []struct {
			Key       string   `json:"key"`
			Occupancy *float64 `json:"occupancy"`
		} `json:"rows"`
		Containment float64 `json:"containment"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SLFormula != "late-abandons" || *doc.Total.ServiceLevel != 0.6 || *doc.Total.AHT != 225 || doc.Containment != 0.2 {
		t.Errorf("report JSON = %s", b)
	}
	// By queue, agent time belongs to no queue: occupancy is undefined (null).
	if len(doc.Rows) != 2 || doc.Rows[0].Occupancy != nil {
		t.Errorf("rows = %+v; want billing and outage with null occupancy", doc.Rows)
	}
}
