package server

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// teachExport sends the table of one class as CSV: one row per learner,
// one column per section, quiz and exercise of the class's courses, with
// the time each was done.
func (s *Server) teachExport(c echo.Context) error {
	class, err := s.teachClass(c)
	if err != nil {
		return err
	}
	progress, err := s.store.ClassProgress(c.Request().Context(), class.ID)
	if err != nil {
		return err
	}
	t := buildClassTable(s.courses.Catalog(), class, progress)
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="courselab-`+class.ID+`-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	head := []string{"learner", "name", "joined", "last_seen", "done"}
	for _, col := range t.Columns {
		head = append(head, col.Course+"/"+col.Kind+"/"+col.ID)
	}
	if err := w.Write(head); err != nil {
		return nil
	}
	for _, row := range t.Rows {
		rec := []string{row.Learner.ID, csvSafe(row.Learner.Name), stamp(row.Learner.Created), stamp(row.Learner.LastSeen), strconv.Itoa(row.Done)}
		for _, cell := range row.Cells {
			switch {
			case cell.Done:
				rec = append(rec, "done "+stamp(cell.At))
			case cell.Tried:
				rec = append(rec, "tried "+stamp(cell.At))
			default:
				rec = append(rec, "")
			}
		}
		if err := w.Write(rec); err != nil {
			return nil
		}
	}
	w.Flush()
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvSafe keeps a learner's name from being read as a formula by a
// spreadsheet (CSV injection).
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
