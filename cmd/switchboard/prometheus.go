package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/sip"
)

// statsCollector exposes the event writer's and the SIP server's counters
// at /metrics. It reads them at scrape time, so nothing is counted twice.
type statsCollector struct {
	writer *events.Writer
	sip    *sip.Server
}

var (
	descEvents = prometheus.NewDesc("switchboard_events_total",
		"Events by what became of them: emitted into the buffer, written to the store, dropped because the buffer stayed full.",
		[]string{"outcome"}, nil)
	descEventsPending = prometheus.NewDesc("switchboard_events_pending",
		"Events accepted but not yet written to the store.", nil, nil)
	descEventWaits = prometheus.NewDesc("switchboard_events_buffer_waits_total",
		"Emit calls that found the buffer full and waited (back-pressure).", nil, nil)
	descEventWriteErrors = prometheus.NewDesc("switchboard_events_write_errors_total",
		"Failed batch writes to the event store (each is retried).", nil, nil)
	descSIPInvites = prometheus.NewDesc("switchboard_sip_invites_total",
		"New INVITEs by outcome: accepted, rejected (4xx/5xx), flooded (per-source limit), at_limit (max calls).",
		[]string{"outcome"}, nil)
	descSIPCalls = prometheus.NewDesc("switchboard_sip_calls_active",
		"Native SIP calls in progress.", nil, nil)
	descSIPRTPTimeouts = prometheus.NewDesc("switchboard_sip_rtp_timeouts_total",
		"Calls torn down because the caller sent no RTP.", nil, nil)
	descSIPRTPForeign = prometheus.NewDesc("switchboard_sip_rtp_foreign_packets_total",
		"RTP packets to a caller's media port from another source than the caller's, dropped (a port scan, or an attempt to take the call's media).", nil, nil)
	descSIPDigits = prometheus.NewDesc("switchboard_sip_dtmf_digits_total",
		"DTMF digits received, by how they came.", []string{"mode"}, nil)
)

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEvents, descEventsPending, descEventWaits, descEventWriteErrors,
		descSIPInvites, descSIPCalls, descSIPRTPTimeouts, descSIPRTPForeign, descSIPDigits} {
		ch <- d
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	if c.writer != nil {
		s := c.writer.Stats()
		counter(descEvents, s.Emitted, "emitted")
		counter(descEvents, s.Written, "written")
		counter(descEvents, s.Dropped, "dropped")
		ch <- prometheus.MustNewConstMetric(descEventsPending, prometheus.GaugeValue, float64(s.Pending))
		counter(descEventWaits, s.Waits)
		counter(descEventWriteErrors, s.WriteErrors)
	}
	if c.sip != nil {
		s := c.sip.Stats()
		counter(descSIPInvites, s.Accepted.Load(), "accepted")
		counter(descSIPInvites, s.Rejected.Load(), "rejected")
		counter(descSIPInvites, s.Flooded.Load(), "flooded")
		counter(descSIPInvites, s.AtLimit.Load(), "at_limit")
		ch <- prometheus.MustNewConstMetric(descSIPCalls, prometheus.GaugeValue, float64(c.sip.Active()))
		counter(descSIPRTPTimeouts, s.RTPTimeouts.Load())
		counter(descSIPRTPForeign, s.RTPForeign.Load())
		counter(descSIPDigits, s.DigitsRFC4733.Load(), "rfc4733")
		counter(descSIPDigits, s.DigitsInfo.Load(), "info")
	}
}
