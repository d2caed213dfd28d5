package flows

import (
	"fmt"
	"sort"
	"strings"
)

// Issue is one validation problem, at the position it was written.
type Issue struct {
	Pos     Pos
	Message string
}

func (i Issue) String() string {
	if i.Pos.File == "" && i.Pos.Line == 0 {
		return i.Message
	}
	return i.Pos.String() + ": " + i.Message
}

// ValidationError lists every problem found in one Load, sorted by file,
// line and column. Load returns it (wrapped by nothing) whenever a flow set
// does not validate; use errors.As to get the issues.
type ValidationError struct {
	Issues []Issue
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		lines[i] = is.String()
	}
	return strings.Join(lines, "\n")
}

func sortIssues(issues []Issue) {
	sort.SliceStable(issues, func(i, j int) bool {
		a, b := issues[i].Pos, issues[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return issues[i].Message < issues[j].Message
	})
}

// didYouMean returns ` (did you mean "x"?)` naming the candidate closest to
// s by edit distance, when it is close enough to be a plausible typo.
func didYouMean(s string, candidates []string) string {
	best, bestD := "", maxTypoDistance(s)+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || best == s {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// maxTypoDistance: short words tolerate one or two edits, longer ones a
// third of their length, so "paly" finds "play" and "xyz" finds nothing.
func maxTypoDistance(s string) int {
	return max(2, len(s)/3)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
