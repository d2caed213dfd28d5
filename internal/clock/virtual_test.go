package clock

import (
	"context"
	"testing"
	"time"
)

// TestHoldStopsAutoAdvance: while a hold is taken, AutoAdvance leaves a
// pending timer alone; once released, the clock jumps to it.
func TestHoldStopsAutoAdvance(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	timer := v.NewTimer(time.Minute)
	release := v.Hold()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go v.AutoAdvance(ctx, time.Millisecond)
	// Many quiet periods pass: without the hold the clock would have jumped.
	time.Sleep(50 * time.Millisecond)
	if got := v.Now(); !got.Equal(start) {
		t.Fatalf("clock moved to %v while held", got)
	}
	release()
	release() // a second release changes nothing
	select {
	case at := <-timer.C():
		if !at.Equal(start.Add(time.Minute)) {
			t.Errorf("timer fired at %v; want %v", at, start.Add(time.Minute))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the clock never moved after the release")
	}
}

// TestHoldAfter: a HoldAfter timer holds the clock from the moment it
// fires until its release, so a later timer waits for the woken work.
func TestHoldAfter(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	woke := v.HoldAfter(time.Second)
	later := v.NewTimer(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go v.AutoAdvance(ctx, time.Millisecond)
	var release func()
	select {
	case release = <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("HoldAfter never fired")
	}
	time.Sleep(50 * time.Millisecond)
	if got := v.Now(); !got.Equal(start.Add(time.Second)) {
		t.Fatalf("clock at %v while the woken work holds it; want %v", got, start.Add(time.Second))
	}
	release()
	select {
	case <-later.C():
	case <-time.After(10 * time.Second):
		t.Fatal("the clock never moved after the release")
	}
	if v.holds != 0 {
		t.Errorf("%d holds left", v.holds)
	}
}
