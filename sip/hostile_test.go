package sip

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// inviteStatus sends an INVITE with the given Call-ID and From user over
// UDP and returns the status code of the final response.
func inviteStatus(t *testing.T, addr, callID, fromUser string) int {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	laddr := c.LocalAddr().String()
	host, _, _ := net.SplitHostPort(laddr)
	sdp := "v=0\r\no=- 1 1 IN IP4 " + host + "\r\ns=-\r\nc=IN IP4 " + host + "\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	via := fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\n", laddr, time.Now().UnixNano())
	from := fmt.Sprintf("From: <sip:%s@%s>;tag=h1\r\n", fromUser, host)
	msg := fmt.Sprintf("INVITE sip:96069@%s SIP/2.0\r\n%s%sTo: <sip:96069@%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"+
		"Contact: <sip:caller@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		addr, via, from, addr, callID, laddr, len(sdp), sdp)
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 65535)
	for {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no final response: %v", err)
		}
		line, _ := bufio.NewReader(strings.NewReader(string(buf[:n]))).ReadString('\n')
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("status line %q", line)
		}
		code, _ := strconv.Atoi(f[1])
		if code < 200 {
			continue
		}
		// ACK the final answer (RFC 3261 §17.1.1.3) so the server's
		// transaction, and the call, end now.
		to := ""
		for _, l := range strings.Split(string(buf[:n]), "\r\n") {
			if strings.HasPrefix(strings.ToLower(l), "to:") {
				to = l + "\r\n"
			}
		}
		ack := fmt.Sprintf("ACK sip:96069@%s SIP/2.0\r\n%s%s%sCall-ID: %s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			addr, via, from, to, callID)
		if _, err := c.Write([]byte(ack)); err != nil {
			t.Fatal(err)
		}
		return code
	}
}

// The Call-ID and the From user are the caller's to choose and travel on
// into logs, events, flow variables and file names: a Call-ID outside RFC
// 3261's word characters or longer than 256 bytes, or a From user with
// control characters or longer than 128 bytes, is refused with 400 before
// a call exists.
func TestHostileCallIDAndFrom(t *testing.T) {
	srv := startServer(t, Config{}, noopHandler)
	for _, tc := range []struct {
		name, callID, from string
		refused            bool
	}{
		{"ordinary", "a84b4c76e66710@pc33.example.com", "5551234", false},
		{"long call-id", strings.Repeat("a", 300), "5551234", true},
		{"control character in call-id", "abc\x1b[2Jdef", "5551234", true},
		{"long from user", "ok-1@host", strings.Repeat("5", 200), true},
		{"control character in from user", "ok-2@host", "555\x1b\x071234", true},
		{"nul in from user", "ok-3@host", "555\x001234", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := inviteStatus(t, srv.Addr(), tc.callID, tc.from)
			if tc.refused != (got == 400) {
				t.Errorf("INVITE: %d; refused with 400: %v, want %v", got, got == 400, tc.refused)
			}
		})
	}
}
