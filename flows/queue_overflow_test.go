package flows

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const overflowFlow = `flow: support
numbers: ["200"]
start: english_support
nodes:
  english_support:
    type: queue
    group: support
    skills: {english: 3, billing: 2}
    overflow:
%s
    next: bye
  bye: {type: hangup}
`

func TestQueueOverflowSteps(t *testing.T) {
	cat, err := compile(t, testEnv(t), fmt.Sprintf(overflowFlow, `      - {after: 120s, skills: {english: 1}}
      - {after: 5m, skills: {english: 0, billing: 1}}`))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	q := cat.Flows["support"].ByID["english_support"].Queue
	want := []QueueStep{
		{After: 120 * time.Second, Skills: map[string]int{"english": 1}},
		{After: 5 * time.Minute, Skills: map[string]int{"english": 0, "billing": 1}},
	}
	if !reflect.DeepEqual(q.Overflow, want) {
		t.Errorf("Overflow = %+v; want %+v", q.Overflow, want)
	}
}

// TestQueueOverflowIssues: every problem of a step at its file:line:col.
func TestQueueOverflowIssues(t *testing.T) {
	for _, tc := range []struct {
		name, steps string
		want        []string
	}{
		{"bad duration", `      - {after: 2, skills: {english: 1}}`,
			[]string{`a.yaml:10:17: english_support.overflow[0].after: bad duration "2": want a unit is missing (write 2s)`}},
		{"out of order", `      - {after: 2m, skills: {english: 2}}
      - {after: 1m, skills: {english: 1}}`,
			[]string{`a.yaml:11:17: english_support.overflow[1].after: 1m0s must be later than the step before (2m0s)`}},
		{"unknown skill", `      - {after: 2m, skills: {englsh: 1}}`,
			[]string{`a.yaml:10:30: english_support.overflow[0].skills.englsh: unknown skill "englsh" (did you mean "english"?)`}},
		{"raises a level", `      - {after: 2m, skills: {english: 1}}
      - {after: 3m, skills: {english: 2}}`,
			[]string{`a.yaml:11:39: english_support.overflow[1].skills.english: level 2 must be between 0 and the current 1 (steps only lower levels; 0 drops the skill)`}},
		{"a skill the node does not require", `      - {after: 2m, skills: {english: 0}}
      - {after: 3m, skills: {english: 0}}`,
			[]string{`a.yaml:11:30: english_support.overflow[1].skills.english: the node does not require english at this step (steps only lower the node's own skills: billing:2)`}},
		{"missing fields", `      - {skills: {english: 1}}
      - {after: 3m}
      - {after: 4m, skils: {english: 1}}`,
			[]string{
				`a.yaml:10:9: english_support.overflow[0] needs "after" (how long the call has waited, e.g. 120s)`,
				`a.yaml:11:9: english_support.overflow[1] needs "skills" (the node's skills with lower levels, e.g. {english: 1})`,
				`a.yaml:12:9: english_support.overflow[2] needs "skills" (the node's skills with lower levels, e.g. {english: 1})`,
				`a.yaml:12:21: unknown field "skils" in english_support.overflow[2] (did you mean "skills"?)`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compile(t, testEnv(t), fmt.Sprintf(overflowFlow, tc.steps))
			if got := issuesOf(t, err); !slices.Equal(got, tc.want) {
				t.Errorf("issues:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
