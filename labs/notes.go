package labs

import (
	"fmt"
	"time"
)

// noteEvery is how often one kind of note (a limit hit, a refused login) may
// write a journal line; what happens in between is summed up in one line.
const noteEvery = time.Second

// heldNotes are the lines of one kind held back since its last line.
type heldNotes struct {
	last   time.Time // when the last line of this kind was written
	count  int       // lines held back since
	latest Event     // the latest of them, which the summary line repeats
}

// note writes e unless a line of the same key was written less than
// noteEvery ago; then it is counted, and flushNotes writes one summary line
// for all of them once the second is over, so that the count sits right
// after the burst it counts rather than on a later, unrelated line.
func (s *Sandbox) note(key string, e Event) {
	now := time.Now()
	s.mu.Lock()
	if s.notes == nil {
		s.notes = map[string]*heldNotes{}
	}
	n := s.notes[key]
	if n == nil {
		n = &heldNotes{}
		s.notes[key] = n
	}
	if now.Sub(n.last) < noteEvery {
		n.count++
		n.latest = e
		s.mu.Unlock()
		return
	}
	held := *n // the second before this line, if housekeeping has not summed it up yet
	n.last, n.count = now, 0
	s.mu.Unlock()
	if held.count > 0 {
		s.journal.Add(summary(held))
	}
	s.journal.Add(e)
}

// flushNotes writes the summary line of each kind whose second is over; it
// runs from housekeeping (see busy).
func (s *Sandbox) flushNotes(now time.Time) {
	var due []heldNotes
	s.mu.Lock()
	for key, n := range s.notes {
		if now.Sub(n.last) < noteEvery {
			continue
		}
		if n.count > 0 {
			due = append(due, *n)
		}
		delete(s.notes, key) // the next line of this kind is written at once
	}
	s.mu.Unlock()
	for _, n := range due {
		s.journal.Add(summary(n))
	}
}

// summary is the line that stands for the lines held back: the latest of
// them, saying how many more there were.
func summary(n heldNotes) Event {
	e := n.latest
	e.Time = time.Time{}
	more := fmt.Sprintf(" (%d more like this within a second)", n.count)
	switch d := e.Detail.(type) {
	case *LimitInfo:
		c := *d
		c.More, c.Message = n.count, c.Message+more
		e.Detail = &c
	case *RefusedInfo:
		c := *d
		c.More, c.Reason = n.count, c.Reason+more
		e.Detail = &c
	}
	return e
}

// notesPending reports whether flushNotes has work (or state to drop).
func (s *Sandbox) notesPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.notes) > 0
}
