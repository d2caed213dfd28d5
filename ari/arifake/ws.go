package arifake

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/net/websocket"
)

// wsConn is one registered events WebSocket. Events are queued without
// blocking the server's lock and written in order by one goroutine.
type wsConn struct {
	app    string
	ws     *websocket.Conn
	mu     sync.Mutex
	cond   *sync.Cond
	queue  [][]byte
	closed bool
}

func newWSConn(app string, ws *websocket.Conn) *wsConn {
	c := &wsConn{app: app, ws: ws}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *wsConn) push(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.queue = append(c.queue, frame)
		c.cond.Signal()
	}
}

func (c *wsConn) close() {
	c.mu.Lock()
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	_ = c.ws.Close()
}

// writeLoop sends queued frames until the connection closes.
func (c *wsConn) writeLoop() {
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		frame := c.queue[0]
		c.queue = c.queue[1:]
		c.mu.Unlock()
		if err := websocket.Message.Send(c.ws, string(frame)); err != nil {
			c.close()
			return
		}
	}
}

const badRequestPage = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk/GIT-master-f0c1c1a7b7</address>\r\n</body></html>\r\n"

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	app := r.URL.Query().Get("app")
	if app == "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(badRequestPage))
		return
	}
	s.mu.Lock()
	reject := s.rejectWS
	s.mu.Unlock()
	if reject {
		writeJSON(w, 503, map[string]string{"message": "Service Unavailable"})
		return
	}
	srv := websocket.Server{Handler: func(ws *websocket.Conn) {
		s.runConn(newWSConn(strings.Split(app, ",")[0], ws))
	}}
	srv.ServeHTTP(w, r)
}

func (s *Server) runConn(c *wsConn) {
	s.mu.Lock()
	if old := s.apps[c.app]; old != nil {
		// The newer WebSocket wins; the old one hears ApplicationReplaced
		// and then nothing, but stays open (as on Asterisk).
		frame, _ := json.Marshal(map[string]any{"type": "ApplicationReplaced", "timestamp": s.nowStamp(),
			"application": c.app, "asterisk_id": s.asteriskID})
		old.push(frame)
		s.events = append(s.events, Sent{App: c.app, Type: "ApplicationReplaced", Delivered: true})
	}
	s.apps[c.app] = c
	s.known[c.app] = true
	s.conns[c] = true
	s.notifyLocked()
	s.mu.Unlock()

	go c.writeLoop()
	for {
		var msg string
		if err := websocket.Message.Receive(c.ws, &msg); err != nil {
			break
		}
	}
	c.close()
	s.mu.Lock()
	if s.apps[c.app] == c {
		delete(s.apps, c.app)
	}
	delete(s.conns, c)
	s.notifyLocked()
	s.mu.Unlock()
}

// Connected reports whether an events WebSocket is registered for app.
func (s *Server) Connected(app string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apps[app] != nil
}

// Connections counts the events WebSockets ever accepted that are still
// open (including replaced ones).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// DropWebSockets closes every events WebSocket, as a network failure or an
// Asterisk restart would. Channels stay in their Stasis app.
func (s *Server) DropWebSockets() {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// RejectWebSockets makes WebSocket upgrades fail with 503 while on.
func (s *Server) RejectWebSockets(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectWS = on
}

// emitLocked stamps an event with type, timestamp, asterisk_id and
// application, records it and queues it on the app's WebSocket, if any.
// Callers hold s.mu, so events reach the socket in the order they happen
// and before the REST response of the request that caused them.
func (s *Server) emitLocked(app, typ string, fields map[string]any) {
	ev := map[string]any{"type": typ, "timestamp": s.nowStamp(), "asterisk_id": s.asteriskID, "application": app}
	for k, v := range fields {
		ev[k] = v
	}
	c := s.apps[app]
	s.events = append(s.events, Sent{App: app, Type: typ, Delivered: c != nil, Event: ev})
	if c != nil {
		frame, _ := json.Marshal(ev)
		c.push(frame)
	}
	s.notifyLocked()
}
