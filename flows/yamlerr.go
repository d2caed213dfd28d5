package flows

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// The YAML library's syntax errors name a line, often not the one at
// fault, never a column, and speak of scanner tokens. For the two mistakes
// a flow designer makes most, the loader finds the spot in the source
// itself and says what to do:
//
//   - a tab in the indentation (YAML indents with spaces only): the library
//     reports "found character that cannot start any token" or "a tab
//     character that violates indentation", sometimes a line early;
//   - an unquoted * (a menu key, a terminator): YAML reads *name as an
//     alias of an anchor, so `*: operator` fails with "did not find
//     expected alphabetic or numeric character" and `next: *x` with
//     "unknown anchor 'x' referenced".

// yamlIssue turns a YAML syntax error into a positioned message.
func yamlIssue(file string, data []byte, err error) (Pos, string) {
	p := Pos{File: file, Line: 1, Col: 1}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	lines := bytes.Split(data, []byte("\n"))
	switch {
	case strings.Contains(msg, "tab character") || strings.Contains(msg, "cannot start any token"):
		if line, col, ok := firstIndentTab(lines, p.Line+1); ok {
			p.Line, p.Col = line, col
			return p, "yaml: tab character in the indentation; YAML indents with spaces only"
		}
	case strings.Contains(msg, "expected alphabetic or numeric character"):
		if line, col, ok := bareStar(lines, p.Line); ok {
			p.Line, p.Col = line, col
			return p, `yaml: a bare * starts an alias (*name) in YAML; quote it: "*"`
		}
	case strings.HasPrefix(msg, "unknown anchor '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		if line, col, ok := findToken(lines, "*"+name); ok {
			p.Line, p.Col = line, col
			return p, fmt.Sprintf(`yaml: *%s is an alias of an anchor &%s that does not exist; for the text, quote it: "*%s"`, name, name, name)
		}
	}
	return p, "yaml: " + msg
}

// firstIndentTab finds the first tab in the leading whitespace of a line,
// up to line last (1-based; the library may name the line before the tab).
func firstIndentTab(lines [][]byte, last int) (line, col int, ok bool) {
	for i := 0; i < len(lines) && i < last; i++ {
		for j, c := range lines[i] {
			if c == '\t' {
				return i + 1, j + 1, true
			}
			if c != ' ' {
				break
			}
		}
	}
	return 0, 0, false
}

// bareStar finds a * that starts a YAML token (so the library took it for
// an alias) but is not followed by an anchor name: on the line the library
// named, else on any line before it.
func bareStar(lines [][]byte, near int) (line, col int, ok bool) {
	try := func(i int) bool {
		if i < 0 || i >= len(lines) {
			return false
		}
		if c := starColumn(lines[i]); c > 0 {
			line, col, ok = i+1, c, true
			return true
		}
		return false
	}
	if try(near - 1) {
		return
	}
	for i := 0; i < len(lines) && i < near; i++ {
		if try(i) {
			return
		}
	}
	return 0, 0, false
}

// starColumn is the 1-based column of a bare * token in a line, 0 when
// none: a * after indentation, "- ", "{", "[", ",", or ": ", and followed
// by a character that cannot continue an anchor name. Quoted text and
// comments are skipped.
func starColumn(l []byte) int {
	var quote byte
	prev := byte(' ') // what precedes the current token, ignoring spaces
	for j := 0; j < len(l); j++ {
		c := l[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			continue
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (j == 0 || l[j-1] == ' ' || l[j-1] == '\t'):
			return 0
		case c == '*' && strings.IndexByte(" -{[,:", prev) >= 0 && (j+1 == len(l) || strings.IndexByte(" \t,:]}\r", l[j+1]) >= 0):
			return j + 1
		}
		if c != ' ' && c != '\t' {
			prev = c
		}
	}
	return 0
}

// findToken finds tok standing as a token of its own (not inside a word or
// quotes).
func findToken(lines [][]byte, tok string) (line, col int, ok bool) {
	for i, l := range lines {
		for j := 0; ; {
			k := bytes.Index(l[j:], []byte(tok))
			if k < 0 {
				break
			}
			at := j + k
			end := at + len(tok)
			before := at == 0 || bytes.IndexByte([]byte(" \t{[,:-"), l[at-1]) >= 0
			after := end == len(l) || bytes.IndexByte([]byte(" \t,]}\r"), l[end]) >= 0
			if before && after {
				return i + 1, at + 1, true
			}
			j = at + 1
		}
	}
	return 0, 0, false
}
