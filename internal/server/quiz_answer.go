package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

type quizAnswerRequest struct {
	Answers []string `json:"answers"`
	Answer  string   `json:"answer"`
}

type quizAnswerResponse struct {
	Correct  bool   `json:"correct"`
	Feedback string `json:"feedback"`
}

// quizAnswer grades POST /api/courses/{course}/quizzes/{quiz}/answer. The
// body is JSON {"answers":["a2"]} (or {"answer":"a2"}), or the quiz form
// itself (answer=a2&answer=a3). The right answers never left the server.
func (s *Server) quizAnswer(c echo.Context) error {
	res, err := s.gradeQuiz(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// quizAnswerForm is the same for the quiz form posted without JavaScript:
// the learner gets a small page with the verdict and a way back.
func (s *Server) quizAnswerForm(c echo.Context) error {
	res, err := s.gradeQuiz(c)
	if err != nil {
		return err
	}
	course, _ := s.course(c, s.courses.Catalog())
	back := "/courses/" + course.ID
	if sec := quizSection(course, c.Param("quiz")); sec != nil {
		back += "/" + sec.Slug + "#quiz-" + c.Param("quiz")
	}
	return s.render(c, http.StatusOK, "quiz_result", quizResultPage{page: s.page(), Result: res, Back: back})
}

type quizResultPage struct {
	page
	Result quizAnswerResponse
	Back   string
}

func (s *Server) gradeQuiz(c echo.Context) (quizAnswerResponse, error) {
	course, err := s.course(c, s.courses.Catalog())
	if err != nil {
		return quizAnswerResponse{}, err
	}
	quiz := course.Quizzes[c.Param("quiz")]
	if quiz == nil {
		return quizAnswerResponse{}, notFound("The course %q has no quiz %q.", course.Title, c.Param("quiz"))
	}
	chosen, err := quizChoices(c)
	if err != nil {
		return quizAnswerResponse{}, err
	}
	res, err := grade(quiz, chosen)
	if err != nil {
		return quizAnswerResponse{}, err
	}
	learner, _ := s.learnerID(c)
	if err := s.store.SaveQuizAnswer(c.Request().Context(), learner, course.ID, quiz.ID, chosen, res.Correct); err != nil {
		return quizAnswerResponse{}, fmt.Errorf("save quiz answer: %w", err)
	}
	s.progressChanged(learner)
	return res, nil
}

// quizChoices reads the chosen answer ids from a JSON or form body.
func quizChoices(c echo.Context) ([]string, error) {
	var chosen []string
	if strings.HasPrefix(c.Request().Header.Get("Content-Type"), "application/json") {
		var req quizAnswerRequest
		dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 4096))
		if err := dec.Decode(&req); err != nil {
			return nil, echo.NewHTTPError(http.StatusBadRequest, `The body is not the JSON this expects: send {"answers": ["a1"]}.`)
		}
		chosen = req.Answers
		if req.Answer != "" {
			chosen = append(chosen, req.Answer)
		}
	} else {
		form, err := c.FormParams()
		if err != nil {
			return nil, echo.NewHTTPError(http.StatusBadRequest, "The answer could not be read; choose an answer and send the form again.")
		}
		chosen = form["answer"]
	}
	if len(chosen) == 0 {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "Choose an answer first.")
	}
	return chosen, nil
}

// grade compares the chosen answers with the right ones. Single choice: the
// chosen answer's feedback. Multiple choice: right only when exactly the
// right set is chosen; the feedback says what was off.
func grade(q *content.Quiz, chosen []string) (quizAnswerResponse, error) {
	byID := map[string]content.Answer{}
	for _, a := range q.Answers {
		byID[a.ID] = a
	}
	picked := map[string]bool{}
	for _, id := range chosen {
		if _, ok := byID[id]; !ok {
			return quizAnswerResponse{}, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("This quiz has no answer %q; reload the page and choose again.", id))
		}
		picked[id] = true
	}
	if q.Type != content.MultipleChoice {
		if len(picked) != 1 {
			return quizAnswerResponse{}, echo.NewHTTPError(http.StatusBadRequest, "Choose exactly one answer.")
		}
		a := byID[chosen[0]]
		return quizAnswerResponse{Correct: a.Right, Feedback: feedbackOr(a.Feedback, a.Right)}, nil
	}
	var wrong, right []string
	missed := 0
	for _, a := range q.Answers {
		switch {
		case picked[a.ID] && !a.Right:
			wrong = append(wrong, a.Feedback)
		case picked[a.ID] && a.Right:
			right = append(right, a.Feedback)
		case !picked[a.ID] && a.Right:
			missed++
		}
	}
	if len(wrong) == 0 && missed == 0 {
		return quizAnswerResponse{Correct: true, Feedback: feedbackOr(strings.Join(nonEmpty(right), " "), true)}, nil
	}
	msg := strings.Join(nonEmpty(wrong), " ")
	if missed > 0 {
		if msg != "" {
			msg += " "
		}
		msg += fmt.Sprintf("%d right answer(s) are not chosen yet.", missed)
	}
	return quizAnswerResponse{Correct: false, Feedback: feedbackOr(msg, false)}, nil
}

func feedbackOr(f string, right bool) string {
	if f != "" {
		return f
	}
	if right {
		return "Right!"
	}
	return "Not quite. Read the section again and try another answer."
}

func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func quizSection(course *content.Course, quiz string) *content.Section {
	for _, sec := range course.Sections {
		for _, q := range sec.Quizzes {
			if q.ID == quiz {
				return sec
			}
		}
	}
	return nil
}
