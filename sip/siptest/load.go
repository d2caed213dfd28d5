package siptest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-cc/switchboard/media"
)

// LoadConfig is one load run: Calls calls started at Rate per second, each
// held for Hold while it sends Digits and streams silence as its voice.
type LoadConfig struct {
	Target string // sip:96069@127.0.0.1:5060
	Calls  int
	Rate   float64 // calls started per second
	Hold   time.Duration
	// Digits is a script: groups separated by commas, each sent as RFC 4733
	// events after DigitDelay (the first after the answer, the next after
	// the previous group), e.g. "1,123456#".
	Digits     string
	DigitDelay time.Duration
	// MinAudio is how much prompt audio (voiced frames) a call must hear to
	// count as clean; 0 checks nothing.
	MinAudio time.Duration
	Options  DialOptions
	// Progress is called once per finished call (for a progress bar).
	Progress func()
}

// CallResult is one call's measurements.
type CallResult struct {
	Err     string // "" when clean, else the reason class (e.g. "503", "timeout", "no_audio")
	Setup   time.Duration
	Jitter  time.Duration
	MaxGap  time.Duration
	Packets uint64
	Voiced  int
	Length  time.Duration // answer to hangup
}

// LoadReport aggregates a run.
type LoadReport struct {
	Started, Answered, Clean int
	Failed                   map[string]int
	Setup                    Percentiles
	Jitter                   Percentiles
	MaxGap                   Percentiles
	PacketsPerSecond         Percentiles // per call, prompt packets heard / call length
	Elapsed                  time.Duration
	Results                  []CallResult
}

// Percentiles of a duration or rate sample.
type Percentiles struct{ P50, P90, P99, Max float64 }

func percentiles(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	slices.Sort(xs)
	at := func(q float64) float64 { return xs[min(len(xs)-1, int(q*float64(len(xs))))] }
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: xs[len(xs)-1]}
}

// Load runs cfg against its target from phone and reports.
func Load(ctx context.Context, phone *Phone, cfg LoadConfig) (*LoadReport, error) {
	if cfg.Calls <= 0 || cfg.Rate <= 0 {
		return nil, errors.New("siptest: load needs calls > 0 and rate > 0")
	}
	if cfg.Options.DTMFPayloadType == 0 {
		cfg.Options.DTMFPayloadType = 101
	}
	if cfg.DigitDelay == 0 {
		cfg.DigitDelay = time.Second
	}
	silence := media.EncodeClip(make([]int16, media.SampleRate), media.PCMU)
	if len(cfg.Options.Codecs) > 0 && cfg.Options.Codecs[0] == "PCMA" {
		silence = media.EncodeClip(make([]int16, media.SampleRate), media.PCMA)
	}
	results := make([]CallResult, cfg.Calls)
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	started := 0
	for i := range cfg.Calls {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() {
			results[i] = oneCall(ctx, phone, cfg, silence)
			if cfg.Progress != nil {
				cfg.Progress()
			}
		})
	}
	wg.Wait()
	rep := &LoadReport{Started: started, Failed: map[string]int{}, Elapsed: time.Since(start), Results: results[:started]}
	var setup, jitter, gap, pps []float64
	for _, r := range rep.Results {
		if r.Setup > 0 {
			rep.Answered++
			setup = append(setup, ms(r.Setup))
		}
		if r.Err != "" {
			rep.Failed[r.Err]++
			continue
		}
		rep.Clean++
		jitter = append(jitter, ms(r.Jitter))
		gap = append(gap, ms(r.MaxGap))
		if r.Length > 0 {
			pps = append(pps, float64(r.Packets)/r.Length.Seconds())
		}
	}
	rep.Setup, rep.Jitter, rep.MaxGap, rep.PacketsPerSecond = percentiles(setup), percentiles(jitter), percentiles(gap), percentiles(pps)
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func oneCall(ctx context.Context, phone *Phone, cfg LoadConfig, voice media.Clip) CallResult {
	var r CallResult
	dctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	defer cancel()
	c, err := phone.Dial(dctx, cfg.Target, cfg.Options)
	if err != nil {
		r.Err = classify(err)
		return r
	}
	r.Setup = c.Setup
	answered := time.Now()
	c.Play([]media.Clip{voice}, true)
	hold := time.NewTimer(cfg.Hold)
	defer hold.Stop()
	groups := []string{}
	if cfg.Digits != "" {
		groups = strings.Split(cfg.Digits, ",")
	}
	next := time.NewTimer(cfg.DigitDelay)
	defer next.Stop()
	ended := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hold.C:
			break loop
		case <-c.Done():
			ended = true
			break loop
		case <-next.C:
			if len(groups) > 0 {
				c.SendDigits(ctx, groups[0])
				groups = groups[1:]
				next.Reset(cfg.DigitDelay)
			}
		}
	}
	r.Length = time.Since(answered)
	st := c.RTP()
	r.Jitter, r.MaxGap, r.Packets = st.Jitter, st.MaxGap, st.Packets
	r.Voiced = c.Heard().Voiced
	// The first packet arrives a little after the answer: measure the
	// stream's rate over the time it actually flowed.
	if !st.First.IsZero() && st.Last.After(st.First) {
		r.Length = st.Last.Sub(st.First) + media.Ptime
	}
	switch {
	case ended:
		r.Err = "server_hangup"
	case cfg.MinAudio > 0 && time.Duration(r.Voiced)*media.Ptime < cfg.MinAudio:
		r.Err = "no_audio"
	}
	if !ended {
		hctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
		if err := c.Hangup(hctx); err != nil && r.Err == "" {
			r.Err = "bye_failed"
		}
		cancel()
	} else {
		c.Close()
	}
	return r
}

// classify turns a dial error into a short reason for the report.
func classify(err error) string {
	var re *RejectedError
	switch {
	case errors.As(err, &re):
		return strconv.Itoa(re.Status)
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Timer_B"), strings.Contains(err.Error(), "timed out"):
		return "timeout"
	}
	return "error"
}

// String renders the report as a small table.
func (r *LoadReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calls started %d, answered %d, clean %d, in %s\n", r.Started, r.Answered, r.Clean, r.Elapsed.Round(time.Millisecond))
	if len(r.Failed) > 0 {
		keys := make([]string, 0, len(r.Failed))
		for k := range r.Failed {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("failed:")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, r.Failed[k])
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%-22s %8s %8s %8s %8s\n", "", "p50", "p90", "p99", "max")
	row := func(name string, p Percentiles) {
		fmt.Fprintf(&b, "%-22s %8.2f %8.2f %8.2f %8.2f\n", name, p.P50, p.P90, p.P99, p.Max)
	}
	row("setup ms", r.Setup)
	row("rtp jitter ms", r.Jitter)
	row("rtp max gap ms", r.MaxGap)
	row("prompt packets/s", r.PacketsPerSecond)
	return b.String()
}
