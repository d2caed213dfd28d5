package ari

import (
	"os"
	"strings"
	"testing"
)

// TestDocsShowTestedSnippets keeps docs/asterisk.md honest: the dialplan
// and PJSIP snippets it shows are the ones the real-Asterisk tests run.
func TestDocsShowTestedSnippets(t *testing.T) {
	doc, err := os.ReadFile("../docs/asterisk.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"extensions.conf", "pjsip.conf"} {
		snippet, err := os.ReadFile("testdata/asterisk/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), string(snippet)) {
			t.Errorf("docs/asterisk.md does not show testdata/asterisk/%s verbatim", f)
		}
	}
}
