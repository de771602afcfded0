package content

import (
	"regexp"
	"strings"
	"testing"
)

const quizMD = `# Q

<quiz id="q1" type="single-choice" title="Pick one">
<answer feedback="FEEDBACK-WRONG-1">Alpha</answer>
<answer feedback="FEEDBACK-RIGHT" right>Beta</answer>
<answer feedback="FEEDBACK-WRONG-2">Gamma</answer>
</quiz>

<quiz id="q2" type="multiple-choice" title="Pick some">
<answer feedback="FEEDBACK-M1" right>One</answer>
<answer feedback="FEEDBACK-M2">Two</answer>
<answer feedback="FEEDBACK-M3" right="true">Three</answer>
</quiz>
`

var answerMarkupRE = regexp.MustCompile(`<div class="quiz-answer">.*?</div>`)

func TestQuizPageNeverRevealsRightAnswer(t *testing.T) {
	out, problems := renderBody(t, quizMD, nil)
	if len(problems) != 0 {
		t.Errorf("unexpected problems: %v", problems)
	}
	for _, secret := range []string{"FEEDBACK", "right", "correct", "checked"} {
		if strings.Contains(out, secret) {
			t.Errorf("page contains %q:\n%s", secret, out)
		}
	}
	// Every answer's markup is the same once its own id and text are taken out.
	answers := answerMarkupRE.FindAllString(out, -1)
	if len(answers) != 6 {
		t.Fatalf("want 6 answers, got %d:\n%s", len(answers), out)
	}
	shape := func(s string) string {
		s = regexp.MustCompile(`a\d`).ReplaceAllString(s, "aN")
		s = regexp.MustCompile(`quiz-q\d`).ReplaceAllString(s, "quiz-qN")
		s = regexp.MustCompile(`type="(radio|checkbox)"`).ReplaceAllString(s, `type="T"`)
		return regexp.MustCompile(`<label([^>]*)>.*</label>`).ReplaceAllString(s, "<label$1>TEXT</label>")
	}
	for _, a := range answers[1:] {
		if shape(a) != shape(answers[0]) {
			t.Errorf("answers differ in markup:\n%s\n%s", answers[0], a)
		}
	}
	if !strings.Contains(out, `<form class="quiz" id="quiz-q1" data-quiz="q1" data-quiz-type="single-choice" method="post" action="/courses/demo/quizzes/q1">`) ||
		!strings.Contains(out, `<input type="radio" name="answer" value="a1"`) ||
		!strings.Contains(out, `<input type="checkbox" name="answer" value="a3"`) ||
		!strings.Contains(out, `<p class="quiz-feedback" aria-live="polite"></p>`) {
		t.Errorf("quiz form markup unexpected:\n%s", out)
	}
}

func TestQuizKeepsGradingDataOnServer(t *testing.T) {
	fsysCat := Load(mapFS("demo/index.md", "---\ntitle: Demo\n---\n"+quizMD), Options{})
	c := fsysCat.Course("demo")
	q1, q2 := c.Quizzes["q1"], c.Quizzes["q2"]
	if q1 == nil || q2 == nil || len(c.Sections[0].Quizzes) != 2 {
		t.Fatalf("quizzes not collected: %+v", c.Quizzes)
	}
	if q1.Type != SingleChoice || q1.Title != "Pick one" || q1.Line != 6 || len(q1.Answers) != 3 {
		t.Errorf("q1 = %+v", q1)
	}
	want := []Answer{
		{ID: "a1", HTML: "Alpha", Feedback: "FEEDBACK-WRONG-1"},
		{ID: "a2", HTML: "Beta", Feedback: "FEEDBACK-RIGHT", Right: true},
		{ID: "a3", HTML: "Gamma", Feedback: "FEEDBACK-WRONG-2"},
	}
	for i, a := range q1.Answers {
		if a != want[i] {
			t.Errorf("q1 answer %d = %+v, want %+v", i, a, want[i])
		}
	}
	if q2.Type != MultipleChoice || !q2.Answers[0].Right || q2.Answers[1].Right || !q2.Answers[2].Right {
		t.Errorf("q2 = %+v", q2)
	}
}
