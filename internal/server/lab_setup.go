package server

import (
	"sync"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/labs"
)

// labSetups are the sandboxes' starting devices, read from the `lab:` front
// matter of every course. A sandbox starts with the devices of all courses,
// so a learner's client finds ESPDEVICE whichever page they came from.
type labSetups struct {
	mu       sync.Mutex
	catalog  *content.Catalog
	all      labs.Setup
	byCourse map[string]labs.Setup
}

// labSetup returns the merged set-up for the current catalog, re-reading it
// (and telling the labs) when the catalog changed.
func (s *Server) labSetup(cat *content.Catalog) (all labs.Setup, byCourse map[string]labs.Setup) {
	ls := &s.setups
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.catalog == cat {
		return ls.all, ls.byCourse
	}
	ls.catalog = cat
	ls.all, ls.byCourse = labs.Setup{}, map[string]labs.Setup{}
	seen := map[string]bool{}
	for _, course := range cat.Courses {
		raw, ok := course.Meta["lab"]
		if !ok {
			continue
		}
		m, ok := raw.(map[string]any)
		if !ok {
			s.log.Warn("course problem", "problem", course.File+": lab: expected a mapping with key devices")
			continue
		}
		setup, err := labs.ParseSetup(map[string]any{"lab": m})
		if err != nil {
			s.log.Warn("course problem", "problem", course.File+": "+err.Error())
			continue
		}
		ls.byCourse[course.ID] = setup
		for _, d := range setup.Devices {
			if !seen[d.ID] {
				seen[d.ID] = true
				ls.all.Devices = append(ls.all.Devices, d)
			}
		}
	}
	if len(ls.all.Devices) == 0 {
		ls.all = labs.DefaultSetup()
	}
	s.labs.SetDefaultSetup(ls.all)
	return ls.all, ls.byCourse
}

// touchLab creates the learner's sandbox if needed and marks it active, so
// that reading a lab course keeps it from being reclaimed.
func (s *Server) touchLab(cat *content.Catalog, course *content.Course, learner string) {
	all, byCourse := s.labSetup(cat)
	if _, ok := byCourse[course.ID]; !ok {
		return
	}
	// Reading is the hot path: an existing sandbox is only marked active
	// (applying the set-up again would re-validate every device).
	if sb := s.labs.Lookup(learner); sb != nil {
		sb.Touch()
		return
	}
	sb, err := s.labs.Sandbox(learner, all)
	if err != nil {
		s.log.Warn("lab sandbox", "learner", learner, "err", err)
		return
	}
	sb.Touch()
}
