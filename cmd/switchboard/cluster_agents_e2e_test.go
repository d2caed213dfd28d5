package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/events/postgres"
	"github.com/switchboard-cc/switchboard/internal/testsvc"
	"github.com/switchboard-cc/switchboard/routing/redisstate"
	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// The cluster's timing in TestClusterAgentsAcrossNodes: a killed node is
// declared dead clusterDeadAfter after its last beat (beats every quarter).
const (
	clusterDeadAfter = 2 * time.Second
	clusterAgents    = 4
	clusterCallers   = 36
)

// clusterAgentsConfig is testConfigDir with a flow that puts callers of
// 7000 straight into billing, short ring and wrap-up times, four billing
// agents 3001…3004, and the cluster section naming Kamailio as the agents'
// registrar (rung through it, phones read from its JSON-RPC).
func clusterAgentsConfig(t *testing.T, k *testsvc.Kamailio) string {
	t.Helper()
	dir := testConfigDir(t)
	editConfig(t, dir, "ring_timeout: 20s\n    wrap_up: 15s", "ring_timeout: 5s\n    wrap_up: 1s")
	path := filepath.Join(dir, "switchboard.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var more strings.Builder
	for i := range clusterAgents {
		id := strconv.Itoa(3001 + i)
		fmt.Fprintf(&more, "  - {id: %q, name: Agent %s, endpoint: \"sip:%s@127.0.0.1\", password: %spw, skills: {billing: 5}}\n", id, id, id, id)
	}
	fmt.Fprintf(&more, "cluster:\n  proxy: %s\n  registrar_rpc: %s\n  dead_after: %s\n  lease: 6s\n", k.Addr(), k.RPCURL(), clusterDeadAfter)
	if err := os.WriteFile(path, append(b, more.String()...), 0o644); err != nil {
		t.Fatal(err)
	}
	flow := `flow: cluster-queue
numbers: ["7000"]
language: en
start: line
nodes:
  line:
    type: queue
    group: billing
    max_wait: 40s
    on_timeout: bye
    on_closed: bye
    next: bye
  bye: {type: hangup}
`
	if err := os.WriteFile(filepath.Join(dir, "flows", "cluster-queue.yaml"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// registerAt registers user's phone (contact) with the SIP registrar at
// addr and waits for the 200.
func registerAt(t *testing.T, addr, user, contact string) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := "reg-" + user + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := "REGISTER sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + c.LocalAddr().String() + ";branch=z9hG4bK" + id + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:" + user + "@" + addr + ">;tag=" + id + "\r\n" +
		"To: <sip:" + user + "@" + addr + ">\r\n" +
		"Call-ID: " + id + "\r\n" +
		"CSeq: 1 REGISTER\r\n" +
		"Contact: <" + contact + ">\r\n" +
		"Expires: 600\r\n" +
		"Content-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("REGISTER %s at %s: %v", user, addr, err)
		}
		if reply := string(buf[:n]); !strings.HasPrefix(reply, "SIP/2.0 1") {
			if !strings.HasPrefix(reply, "SIP/2.0 200") {
				t.Fatalf("REGISTER %s: %.60q", user, reply)
			}
			return
		}
	}
}

// conversation is one call an agent's phone answered.
type conversation struct {
	agent, from string
	answered    time.Time
	ended       time.Time // zero while it lasts
}

// callerRecord is what one caller's phone saw.
type callerRecord struct {
	from, callID string
	answered     time.Time // zero: never answered
	err          error
}

// TestClusterAgentsAcrossNodes is issue 16's end-to-end proof with agents:
// Redis, PostgreSQL, the deploy Kamailio and three serve --cluster
// processes on loopback; four agents' phones registered at Kamailio answer
// what they are offered and hang up after a random talk time; randomized
// callers dial Kamailio into one queue, some hanging up first. Mid-run one
// node holding an agent is killed with SIGKILL. From the one event log in
// PostgreSQL: no agent is ever offered a call while holding another (no
// double booking across nodes), every call has exactly one call.end (the
// killed node's calls get theirs from the node that reaps it, reason
// node_lost), every call a phone saw answered before the kill is in the
// log, and the agents the killed node held take calls again within the
// bound.
func TestClusterAgentsAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("three serve processes, Kamailio, Redis and PostgreSQL")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SWITCHBOARD_CLUSTER_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (SWITCHBOARD_CLUSTER_SEED=%d repeats its random choices)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	var rngMu sync.Mutex
	between := func(lo, hi time.Duration) time.Duration {
		rngMu.Lock()
		defer rngMu.Unlock()
		return lo + time.Duration(rng.Int64N(int64(hi-lo)))
	}

	r := testsvc.RedisForTest(t)
	pg := testsvc.PostgreSQLForTest(t, testsvc.PostgreSQLOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dbURL, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sipAddrs, httpAddrs []string
	for range 3 {
		for _, list := range []*[]string{&sipAddrs, &httpAddrs} {
			p, err := testsvc.FreeSIPPort()
			if err != nil {
				t.Fatal(err)
			}
			*list = append(*list, "127.0.0.1:"+strconv.Itoa(p))
		}
	}
	k := testsvc.KamailioForTest(t, testsvc.KamailioOptions{
		Config: "../../deploy/kamailio/kamailio.cfg", Nodes: sipAddrs, Defines: []string{"DS_PING_INTERVAL=1"}})
	dir := clusterAgentsConfig(t, k)
	var procs []*exec.Cmd
	for i := range sipAddrs {
		procs = append(procs, serveProcess(t, "--config", filepath.Join(dir, "switchboard.yaml"),
			"--sip", sipAddrs[i], "--http", httpAddrs[i], "--data", t.TempDir(), "--log-level", "warn",
			"--cluster", r.URL()+","+dbURL))
	}
	if err := k.WaitDispatching(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	nodeName := func(i int) string { _, port, _ := net.SplitHostPort(sipAddrs[i]); return host + "-" + port }
	probe, err := redisstate.Dial(ctx, r.URL(), redisstate.Options{Node: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()

	// The agents' phones, registered at Kamailio: each answers after a
	// short ring and hangs up after a random talk time.
	var convMu sync.Mutex
	var convs []*conversation
	var agents []string
	for i := range clusterAgents {
		id := strconv.Itoa(3001 + i)
		agents = append(agents, id)
		phone, err := siptest.NewPhone(siptest.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer phone.Close()
		phone.SetIncoming(siptest.AnswerIncoming, between(50*time.Millisecond, 400*time.Millisecond))
		phone.OnAnswer(func(a siptest.Answered) {
			c := &conversation{agent: id, from: a.From, answered: time.Now()}
			convMu.Lock()
			convs = append(convs, c)
			convMu.Unlock()
			select {
			case <-a.Done: // the caller hung up
			case <-time.After(between(300*time.Millisecond, 2500*time.Millisecond)): // talk time
				hctx, hcancel := context.WithTimeout(ctx, 3*time.Second)
				a.Hangup(hctx) // fails when the call's node is dead
				hcancel()
			}
			convMu.Lock()
			c.ended = time.Now()
			convMu.Unlock()
		})
		registerAt(t, k.Addr(), id, phone.Contact(id))
		apiPost(t, httpAddrs[i%len(httpAddrs)], "/api/agents/"+id+"/login")
		apiPost(t, httpAddrs[i%len(httpAddrs)], "/api/agents/"+id+"/ready")
	}

	// The callers: one phone, calls arriving at random, each with its own
	// patience (it hangs up then, waiting or talking).
	callers, err := siptest.NewPhone(siptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer callers.Close()
	records := make([]*callerRecord, clusterCallers)
	var wg sync.WaitGroup
	victim := int(between(0, 3))
	var killed time.Time
	held := map[string]string{} // agent -> call the victim held at the kill
	cut := ""                   // a call the victim had connected to an agent at the kill
	// victimTalking finds the agents the victim holds, and one of their
	// calls the agent's phone is talking on.
	victimTalking := func() (map[string]string, string) {
		h := map[string]string{}
		for _, a := range agents {
			if node, call, err := probe.Holder(ctx, a); err == nil && node == nodeName(victim) {
				h[a] = call
			}
		}
		convMu.Lock()
		defer convMu.Unlock()
		for _, c := range convs {
			for _, rec := range records {
				if rec != nil && rec.from == c.from && c.ended.IsZero() && rec.callID != "" && h[c.agent] == rec.callID {
					return h, rec.callID
				}
			}
		}
		return h, ""
	}
	for n := range clusterCallers {
		rec := &callerRecord{from: fmt.Sprintf("139%08d", n)}
		convMu.Lock()
		records[n] = rec
		convMu.Unlock()
		patience := between(1500*time.Millisecond, 9*time.Second)
		wg.Go(func() {
			c, err := callers.Dial(ctx, "sip:7000@"+k.Addr(), siptest.DialOptions{From: rec.from})
			if err != nil {
				rec.err = err
				return
			}
			convMu.Lock()
			rec.callID, rec.answered = c.ID(), time.Now()
			convMu.Unlock()
			select {
			case <-c.Done(): // the flow hung up after the agent did
			case <-time.After(patience):
				hctx, hcancel := context.WithTimeout(ctx, 3*time.Second)
				c.Hangup(hctx)
				hcancel()
			}
			c.Close()
		})
		if n == clusterCallers/2 {
			// Kill the victim while an agent's phone talks to one of its
			// callers (so that call dies with it), else at least while it
			// holds an agent, so its reservations must be reaped.
			deadline := time.Now().Add(20 * time.Second)
			for {
				held, cut = victimTalking()
				if cut != "" || time.Now().After(deadline) && len(held) > 0 || time.Now().After(deadline.Add(20*time.Second)) {
					break
				}
				time.Sleep(5 * time.Millisecond) // polling Redis
			}
			procs[victim].Process.Signal(syscall.SIGKILL)
			killed = time.Now()
			t.Logf("killed node %d (%s) holding %v, talking on %q", victim, nodeName(victim), held, cut)
		}
		time.Sleep(between(50*time.Millisecond, 500*time.Millisecond)) // the next caller's arrival
	}
	wg.Wait()
	if len(held) == 0 {
		t.Fatalf("node %d never held an agent within 20s", victim)
	}

	// The killed node leaves Redis (reaped), and every agent is free again
	// (wrap-ups done); then every call ends in the log and the log stops
	// growing (events arrive within the writers' flush period).
	deadline := time.Now().Add(30 * time.Second)
	for {
		ns, err := probe.Nodes(ctx)
		free := 0
		for _, a := range agents {
			if node, _, err := probe.Holder(ctx, a); err == nil && node == "" {
				free++
			}
		}
		if err == nil && len(ns) == 2 && free == len(agents) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: nodes in Redis %v (%v), %d of %d agents free", ns, err, free, len(agents))
		}
		time.Sleep(50 * time.Millisecond) // polling Redis
	}
	store, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var log []events.Event
	deadline = time.Now().Add(30 * time.Second)
	for last := -1; ; {
		log = log[:0]
		if err := store.Scan(ctx, time.Time{}, time.Time{}, func(e events.Event) error { log = append(log, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(openCalls(log)) == 0 && len(log) == last || time.Now().After(deadline) {
			break
		}
		last = len(log)
		time.Sleep(300 * time.Millisecond) // three of the writers' flush periods
	}
	convMu.Lock()
	talked := append([]*conversation(nil), convs...)
	convMu.Unlock()
	checkClusterLog(t, log, records, talked, killed, held)
	if cut != "" {
		// The call the killed node had connected died with it: the node
		// that reaped it ended it.
		var reasons []string
		for _, e := range log {
			if e.CallID == cut && e.Type == events.CallEnd {
				reasons = append(reasons, e.Data["by"]+"/"+e.Data["reason"])
			}
		}
		if len(reasons) != 1 || reasons[0] != "system/node_lost" {
			t.Errorf("call %s, talking on the killed node: call.end %v; want one, by system, reason node_lost", cut, reasons)
		}
	}
}

// openCalls are the calls with a call.start and no call.end.
func openCalls(log []events.Event) []string {
	open := map[string]bool{}
	for _, e := range log {
		switch e.Type {
		case events.CallStart:
			open[e.CallID] = true
		case events.CallEnd:
			delete(open, e.CallID)
		}
	}
	var ids []string
	for id := range open {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ackMargin is how long before the kill an answered call's events must be
// in the log: a node writes its batch within 100 ms, and an event emitted
// but not yet committed when the node died was never acknowledged.
const ackMargin = 2 * time.Second

// inFlight is how long after the kill a phone may still see what the
// killed node sent just before it died (a 200 OK on its way, a phone's
// goroutine not yet scheduled on a loaded machine).
const inFlight = time.Second

// mayBeUnlogged reports whether a call answered at answered may lack its
// events in the log: the node that answered it died before writing them.
// Past the kill only a call the reaper ended (node_lost) — the killed
// node's — qualifies: a live node answering later must log its call.
func mayBeUnlogged(answered, killed time.Time, evs []events.Event) bool {
	if answered.Before(killed.Add(-ackMargin)) {
		return false
	}
	if !answered.After(killed) {
		return true
	}
	if answered.After(killed.Add(inFlight)) {
		return false
	}
	for _, e := range evs {
		if e.Type == events.CallEnd && e.Data["reason"] == "node_lost" {
			return true
		}
	}
	return false
}

func checkClusterLog(t *testing.T, log []events.Event, records []*callerRecord, convs []*conversation, killed time.Time, held map[string]string) {
	t.Helper()
	byCall := map[string][]events.Event{}
	for _, e := range log {
		if e.CallID != "" {
			byCall[e.CallID] = append(byCall[e.CallID], e)
		}
	}
	// Every call.start is followed by exactly one call.end. A call.end
	// with no call.start before it is allowed only from the reaper
	// (node_lost): the killed node took the call but died before its
	// call.start was written (Kamailio then retries the caller's INVITE on
	// another node, under the same Call-ID).
	var ends, lostEnds, lostWaiting, unseen int
	for id, evs := range byCall {
		open := false
		for _, e := range evs {
			switch {
			case e.Type == events.CallStart:
				if open {
					t.Errorf("call %s started twice without a call.end: %v", id, types(evs))
				}
				open = true
			case e.Type == events.CallEnd:
				ends++
				lost := e.Data["reason"] == "node_lost"
				if lost {
					lostEnds++
				}
				switch {
				case open:
					open = false
				case lost:
					unseen++
				default:
					t.Errorf("call %s: call.end with no call.start before it: %v", id, types(evs))
				}
			case e.Type == events.QueueAbandon && e.Data["reason"] == "node_lost":
				lostWaiting++
			}
		}
		if open {
			t.Errorf("call %s has no call.end: %v", id, types(evs))
		}
	}
	// Every call a caller's phone saw answered is in the log, unless its
	// node died before it could have written it.
	answered, served := 0, 0
	for _, rec := range records {
		if rec.answered.IsZero() {
			if rec.err != nil {
				t.Logf("caller %s: %v", rec.from, rec.err)
			}
			continue
		}
		answered++
		evs := byCall[rec.callID]
		if !has(evs, events.CallStart) {
			if !mayBeUnlogged(rec.answered, killed, evs) {
				t.Errorf("caller %s: call %s answered at %v (kill at %v) is missing from the log: %v",
					rec.from, rec.callID, rec.answered.Format("15:04:05.000"), killed.Format("15:04:05.000"), types(evs))
			}
			continue
		}
		if has(evs, events.QueueConnect) {
			served++
		}
	}
	// Every conversation an agent's phone had is a queue.connect of that
	// agent for that caller's call — or the agent's offer, when the caller
	// hung up just as the phone answered (the node then abandons the call
	// and hangs up the agent's leg).
	callOf := map[string]string{}
	for _, rec := range records {
		callOf[rec.from] = rec.callID
	}
	for _, c := range convs {
		id := callOf[c.from]
		ok, offered := false, false
		for _, e := range byCall[id] {
			ok = ok || (e.Type == events.QueueConnect && e.Agent == c.agent) ||
				(offered && e.Type == events.QueueAbandon && e.Data["reason"] != "node_lost")
			offered = offered || (e.Type == events.AgentOffer && e.Agent == c.agent)
		}
		if !ok && !mayBeUnlogged(c.answered, killed, byCall[id]) {
			t.Errorf("agent %s talked to %s (call %s) at %v but the log has no queue.connect: %v",
				c.agent, c.from, id, c.answered.Format("15:04:05.000"), types(byCall[id]))
		}
	}

	// No double booking: each agent's offers, from offer to no-answer or
	// wrap-up end, never overlap. A call of the killed node that never
	// closed held its agent until the node was reaped.
	reaped := time.Time{}
	for _, e := range log {
		if e.Data["reason"] == "node_lost" && (reaped.IsZero() || e.Time.Before(reaped)) {
			reaped = e.Time
		}
	}
	type span struct {
		call       string
		start, end time.Time
	}
	spans := map[string][]*span{}
	for _, e := range log {
		if e.Agent == "" {
			continue
		}
		switch e.Type {
		case events.AgentOffer:
			s := &span{call: e.CallID, start: e.Time}
			spans[e.Agent] = append(spans[e.Agent], s)
		case events.AgentNoAnswer, events.AgentWrapupEnd:
			for _, s := range spans[e.Agent] {
				if s.call == e.CallID && s.end.IsZero() {
					s.end = e.Time
				}
			}
		}
	}
	// A call leaving the queue while an agent rings (the caller hung up)
	// ends that offer too.
	for _, e := range log {
		switch e.Type {
		case events.QueueAbandon, events.QueueTimeout, events.QueueClosed:
			for _, ss := range spans {
				for _, s := range ss {
					if s.call == e.CallID && s.end.IsZero() && !e.Time.Before(s.start) {
						s.end = e.Time
					}
				}
			}
		}
	}
	var orphaned []string
	for agent, ss := range spans {
		for _, s := range ss {
			if s.end.IsZero() {
				orphaned = append(orphaned, agent+":"+s.call)
				if _, ok := held[agent]; !ok {
					t.Errorf("agent %s: offer of %s never ended, and the killed node did not hold the agent", agent, s.call)
				}
				// Released by the reap: the reaper's records are stamped
				// before it frees anything. Without any, no earlier than
				// dead_after after the killed node's last beat.
				s.end = reaped
				if reaped.IsZero() {
					s.end = killed.Add(clusterDeadAfter - clusterDeadAfter/4)
				}
			}
		}
		for i := 1; i < len(ss); i++ {
			if prev := ss[i-1]; ss[i].start.Before(prev.end) {
				t.Errorf("double booking: agent %s offered %s at %v while holding %s (%v–%v)", agent, ss[i].call,
					ss[i].start.Format("15:04:05.000"), prev.call, prev.start.Format("15:04:05.000"), prev.end.Format("15:04:05.000"))
			}
		}
	}
	// The agents the killed node held take calls again within the bound:
	// dead_after from the last beat, one beat to notice, and slack for a
	// loaded machine.
	bound := clusterDeadAfter + clusterDeadAfter/4 + 3*time.Second
	var back []string
	for agent := range held {
		var next time.Time
		for _, s := range spans[agent] {
			if s.start.After(killed) && s.call != held[agent] {
				next = s.start
				break
			}
		}
		switch {
		case next.IsZero():
			t.Errorf("agent %s, held by the killed node, was never offered a call again", agent)
		case next.Sub(killed) > bound:
			t.Errorf("agent %s, held by the killed node, offered again %v after the kill; want within %v", agent, next.Sub(killed), bound)
		default:
			back = append(back, fmt.Sprintf("%s after %v", agent, next.Sub(killed).Round(time.Millisecond)))
		}
	}
	if served == 0 {
		t.Errorf("no caller reached an agent")
	}
	t.Logf("%d callers, %d answered, %d reached an agent, %d agent conversations; %d calls in the log, %d call.end (%d node_lost, %d lost while waiting, %d of calls whose start was never written); orphaned offers %v; agents back: %v; reaped %v after the kill",
		len(records), answered, served, len(convs), len(byCall), ends, lostEnds, lostWaiting, unseen, orphaned, back, reaped.Sub(killed).Round(time.Millisecond))
}

func types(evs []events.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Type)+"/"+e.Agent+"/"+e.Data["reason"])
	}
	return out
}

func has(evs []events.Event, typ events.Type) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}
