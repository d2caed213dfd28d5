package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/switchboard-cc/switchboard/sip/siptest"
)

// runLoadgen places SIP test calls against a server and measures them
// (DESIGN §6): setup latency, RTP jitter, prompt audio heard, failures by
// reason, and the server's CPU and memory when --pid names it.
func runLoadgen(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("loadgen", "loadgen --target HOST:PORT --calls N --rate R [flags]")
	target := fs.String("target", "127.0.0.1:5060", "server SIP address (host:port) or a full sip: URI")
	number := fs.String("number", "96069", "number to dial when --target is host:port")
	from := fs.String("from", "1000", "caller number every call presents (the From user), e.g. to hit a flow's caller-based switch")
	calls := fs.Int("calls", 10, "calls to place")
	rate := fs.Float64("rate", 5, "calls started per second")
	hold := fs.Duration("hold", 10*time.Second, "how long each call stays up")
	digits := fs.String("digits", "", `DTMF script: comma-separated groups sent one --digit-delay apart, e.g. "1,123456#"`)
	digitDelay := fs.Duration("digit-delay", time.Second, "pause before each digit group")
	minAudio := fs.Duration("min-audio", 500*time.Millisecond, "prompt audio a call must hear to count as clean (0: no check)")
	codec := fs.String("codec", "PCMU", "codec to offer: PCMU or PCMA")
	dtmfPT := fs.Int("dtmf-pt", 101, "telephone-event payload type to offer")
	transport := fs.String("transport", "udp", "udp or tcp")
	ip := fs.String("ip", "127.0.0.1", "local IP for SIP and RTP")
	pid := fs.Int("pid", 0, "server process to sample CPU and memory from /proc")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *calls <= 0 || *rate <= 0 {
		return fmt.Errorf("%w: --calls and --rate must be positive", errUsage)
	}
	uri := *target
	if !strings.HasPrefix(uri, "sip:") {
		uri = "sip:" + *number + "@" + *target
	}
	phone, err := siptest.NewPhone(siptest.Config{IP: *ip})
	if err != nil {
		return err
	}
	defer phone.Close()

	var before procSample
	if *pid > 0 {
		if before, err = sampleProc(*pid); err != nil {
			return fmt.Errorf("--pid: %w", err)
		}
	}
	bar := progressbar.NewOptions(*calls, progressbar.OptionSetWriter(m.Stderr),
		progressbar.OptionSetDescription("calls"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	peak := newPeakRSS(ctx, *pid)
	rep, err := siptest.Load(ctx, phone, siptest.LoadConfig{
		Target: uri, Calls: *calls, Rate: *rate, Hold: *hold,
		Digits: *digits, DigitDelay: *digitDelay, MinAudio: *minAudio,
		Options:  siptest.DialOptions{From: *from, Codecs: []string{strings.ToUpper(*codec)}, DTMFPayloadType: uint8(*dtmfPT), Transport: *transport},
		Progress: func() { bar.Add(1) },
	})
	bar.Finish()
	if err != nil {
		return err
	}
	out := loadgenOutput{Report: rep}
	if *pid > 0 {
		after, err := sampleProc(*pid)
		if err == nil {
			out.Server = &serverUsage{
				CPUPercent:  100 * (after.cpu - before.cpu).Seconds() / after.at.Sub(before.at).Seconds(),
				RSSStartMiB: float64(before.rss) / (1 << 20),
				RSSPeakMiB:  float64(peak()) / (1 << 20),
				RSSEndMiB:   float64(after.rss) / (1 << 20),
			}
		}
	}
	if *asJSON {
		out.Report.Results = nil
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprint(m.Stdout, rep.String())
	if s := out.Server; s != nil {
		fmt.Fprintf(m.Stdout, "server: cpu %.1f%% of a core, rss %.1f MiB -> peak %.1f MiB -> %.1f MiB\n",
			s.CPUPercent, s.RSSStartMiB, s.RSSPeakMiB, s.RSSEndMiB)
	}
	if rep.Clean < rep.Started {
		return exitError{code: 1}
	}
	return nil
}

type loadgenOutput struct {
	Report *siptest.LoadReport `json:"report"`
	Server *serverUsage        `json:"server,omitempty"`
}

type serverUsage struct {
	CPUPercent  float64 `json:"cpu_percent"`
	RSSStartMiB float64 `json:"rss_start_mib"`
	RSSPeakMiB  float64 `json:"rss_peak_mib"`
	RSSEndMiB   float64 `json:"rss_end_mib"`
}

type procSample struct {
	at  time.Time
	cpu time.Duration // utime + stime
	rss int64         // bytes
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// sampleProc reads a process's CPU time and resident memory from /proc.
func sampleProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+2:]
	}
	f := strings.Fields(rest)
	if len(f) < 22 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = time.Duration(utime+stime) * time.Second / clockTicks
	rssPages, _ := strconv.ParseInt(f[21], 10, 64)
	s.rss = rssPages * int64(os.Getpagesize())
	return s, nil
}

// newPeakRSS samples the server's RSS every 500 ms until ctx ends and
// returns a function reporting the peak so far.
func newPeakRSS(ctx context.Context, pid int) func() int64 {
	if pid <= 0 {
		return func() int64 { return 0 }
	}
	peak := make(chan int64, 1)
	peak <- 0
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			if s, err := sampleProc(pid); err == nil {
				p := <-peak
				peak <- max(p, s.rss)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { p := <-peak; peak <- p; return p }
}
