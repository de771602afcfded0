package server

import (
	"fmt"
	"slices"
	"testing"
)

// woken reports whether sub has a wake-up pending, and takes it.
func woken(sub *classSub) bool {
	select {
	case <-sub.ch:
		return true
	default:
		return false
	}
}

// TestClassFeedWakesADashboardOnlyForTheLearnersItShows: a full page is
// woken by a change of one of its rows alone, however busy the rest of the
// class is, so a busy class never makes it re-read the whole page; a page
// with room for more is re-read when someone else changes (they may belong
// on it), and so is every page when the change is unknown.
func TestClassFeedWakesADashboardOnlyForTheLearnersItShows(t *testing.T) {
	var f classFeed
	full, stop := f.subscribe("c")
	defer stop()
	roomy, stop2 := f.subscribe("c")
	defer stop2()
	other, stop3 := f.subscribe("d")
	defer stop3()
	f.show(full, []string{"a", "b"}, false)
	f.show(roomy, []string{"a"}, true)

	for i := range 1000 {
		f.notify("c", fmt.Sprintf("learner-%d", i))
	}
	if woken(full) {
		t.Error("a full page was woken by learners it does not show")
	}
	if !woken(roomy) {
		t.Error("a page with room was not woken by a new learner")
	}
	if ls, all := f.take(roomy); !all || len(ls) != 0 {
		t.Errorf("page with room: take = %v, all %v; want the whole page re-read", ls, all)
	}

	f.notify("c", "b")
	if !woken(full) {
		t.Fatal("a learner on the page changed: not woken")
	}
	if ls, all := f.take(full); all || !slices.Equal(ls, []string{"b"}) {
		t.Errorf("take = %v, all %v; want [b] alone", ls, all)
	}
	if woken(other) {
		t.Error("another class's dashboard was woken")
	}

	f.notifyAll()
	if _, all := f.take(full); !all {
		t.Error("an unknown change did not re-read the page")
	}
}
