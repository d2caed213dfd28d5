package b2bua

import (
	"log/slog"
	"os"

	"github.com/emiago/sipgo/sip"
)

// sipgo logs to a package default; tests keep it quiet unless SIPDEBUG is
// set, which also turns on sipgo's message trace.
func init() {
	if os.Getenv("SIPDEBUG") != "" {
		sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
		sip.SIPDebug = true
		return
	}
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
}

// testLogger logs to stderr when SIPDEBUG is set, else nowhere.
func testLogger() *slog.Logger {
	if os.Getenv("SIPDEBUG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
