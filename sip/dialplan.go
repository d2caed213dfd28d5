package sip

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// DefaultTrunkAllow is the dial plan when sip.trunk.allow is empty:
// national numbers only. "_0ZXXXXX." is a trunk-prefixed national number
// (0, a non-zero area code digit, at least six more digits), "_ZXXXXXX." a
// local one of seven digits or more. International numbers ("+…", "00…")
// and short codes are refused until the operator says otherwise: the
// number dialled may come from an anonymous caller, and international and
// premium-rate destinations are what toll fraud dials.
var DefaultTrunkAllow = []string{"_0ZXXXXX.", "_ZXXXXXX."}

// ErrNumberNotAllowed is a callback number outside the trunk's dial plan.
var ErrNumberNotAllowed = errors.New("number not allowed by the trunk's dial plan (sip.trunk.allow)")

// DialPlan says which numbers the trunk may dial: a number must match an
// allow pattern and no deny pattern.
//
// Patterns are Asterisk's: a leading '_' makes the rest a pattern in which
// X is any digit, Z is 1-9, N is 2-9, [1-5] and [147] are sets, '.' is one
// or more further characters and '!' zero or more; other characters (digits,
// '+') stand for themselves. Without '_' a pattern is one exact number.
type DialPlan struct {
	allow, deny []*regexp.Regexp
}

// NewDialPlan compiles allow (DefaultTrunkAllow when empty) and deny.
func NewDialPlan(allow, deny []string) (*DialPlan, error) {
	if len(allow) == 0 {
		allow = DefaultTrunkAllow
	}
	p := &DialPlan{}
	var errs []error
	for _, list := range []struct {
		name string
		pats []string
		dst  *[]*regexp.Regexp
	}{{"allow", allow, &p.allow}, {"deny", deny, &p.deny}} {
		for _, pat := range list.pats {
			re, err := compileDialPattern(pat)
			if err != nil {
				errs = append(errs, fmt.Errorf("sip: trunk %s %q: %w", list.name, pat, err))
				continue
			}
			*list.dst = append(*list.dst, re)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Check returns nil when number may be dialled, else an error wrapping
// ErrNumberNotAllowed.
func (p *DialPlan) Check(number string) error {
	if !dialable(number) {
		return fmt.Errorf("callback number %q: digits and a leading + only: %w", number, ErrNumberNotAllowed)
	}
	for _, re := range p.deny {
		if re.MatchString(number) {
			return fmt.Errorf("callback number %q: %w", number, ErrNumberNotAllowed)
		}
	}
	for _, re := range p.allow {
		if re.MatchString(number) {
			return nil
		}
	}
	return fmt.Errorf("callback number %q: %w", number, ErrNumberNotAllowed)
}

// compileDialPattern turns an Asterisk dial pattern into an anchored
// regular expression.
func compileDialPattern(pat string) (*regexp.Regexp, error) {
	if pat == "" || pat == "_" {
		return nil, errors.New("empty pattern")
	}
	if !strings.HasPrefix(pat, "_") {
		if !dialable(pat) {
			return nil, errors.New("a number without '_' is digits and a leading + only")
		}
		return regexp.MustCompile("^" + regexp.QuoteMeta(pat) + "$"), nil
	}
	var b strings.Builder
	b.WriteString("^")
	body := pat[1:]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == 'X' || c == 'x':
			b.WriteString("[0-9]")
		case c == 'Z' || c == 'z':
			b.WriteString("[1-9]")
		case c == 'N' || c == 'n':
			b.WriteString("[2-9]")
		case c == '.':
			b.WriteString("[0-9]+")
		case c == '!':
			b.WriteString("[0-9]*")
		case c == '[':
			j := strings.IndexByte(body[i:], ']')
			if j < 2 {
				return nil, fmt.Errorf("set at %d: want [digits] or [a-b]", i+1)
			}
			set := body[i+1 : i+j]
			for k := 0; k < len(set); k++ {
				if (set[k] < '0' || set[k] > '9') && !(set[k] == '-' && k > 0 && k < len(set)-1) {
					return nil, fmt.Errorf("set [%s]: digits and ranges only", set)
				}
			}
			b.WriteString("[" + set + "]")
			i += j
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && i == 0:
			b.WriteString(`\+`)
		default:
			return nil, fmt.Errorf("character %q at %d: use digits, X, Z, N, [..], '.' or '!'", c, i+1)
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
