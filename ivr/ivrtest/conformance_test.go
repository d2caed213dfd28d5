package ivrtest_test

import (
	"testing"

	"github.com/switchboard-cc/switchboard/ivr/ivrtest"
)

// The fake call passes the suite it defines for the real transports.
func TestFakeConformance(t *testing.T) {
	ivrtest.RunConformance(t, ivrtest.FakeFactory)
}
