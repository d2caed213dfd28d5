package main

import (
	"bytes"
	"io"
	"sync"
)

// lockedWriter lets a test read what serve's goroutines write.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func stderrString(m *Main) string {
	if s, ok := m.Stderr.(interface{ String() string }); ok {
		return s.String()
	}
	return ""
}

var _ io.Writer = (*lockedWriter)(nil)
