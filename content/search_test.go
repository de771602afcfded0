package content

import (
	"strings"
	"testing"
)

func TestSearchFindsStemmedWordsRankedWithTheirPassage(t *testing.T) {
	cat := loadSite(t)
	cases := []struct {
		q, firstURL, snippet string
	}{
		// "sensors" and "sensor" are one word; a title counts more than text.
		{"sensor", "/programs/iot-bootcamp/units/sensors", "temperature <mark>sensor,</mark>"},
		{"moistures", "/solutions/smart-farm", "send <mark>moisture</mark> readings"},
		{"OLED display", "/resources/waziup/oled-display", ""},
		{"bees camera", "/courses/vision/cameras", "counts <mark>bees.</mark>"},
		{"computing sensors", "/categories/edge-computing", "<mark>computing</mark>"},
		{"kick-off", "/programs/iot-bootcamp/events/kickoff", ""},
	}
	for _, c := range cases {
		hits := cat.Search(c.q, 10)
		if len(hits) == 0 {
			t.Errorf("%q: nothing found", c.q)
			continue
		}
		if hits[0].URL != c.firstURL {
			var urls []string
			for _, h := range hits {
				urls = append(urls, h.URL)
			}
			t.Errorf("%q: first hit %s, want %s; all: %v", c.q, hits[0].URL, c.firstURL, urls)
		}
		if !strings.Contains(string(hits[0].Snippet), c.snippet) {
			t.Errorf("%q: snippet %q lacks %q", c.q, hits[0].Snippet, c.snippet)
		}
	}
	if hits := cat.Search("the and of", 10); hits != nil {
		t.Errorf("stop words found %v", hits)
	}
	if hits := cat.Search("zebra", 10); len(hits) != 0 {
		t.Errorf("a word nowhere found %v", hits)
	}
	// Quiz answers are found as text, but never which one is right.
	for _, h := range cat.Search("microcontroller", 10) {
		if strings.Contains(string(h.Snippet), "right") {
			t.Errorf("snippet tells the right answer: %s", h.Snippet)
		}
	}
	if hits := cat.Search("<script>", 10); len(hits) != 0 {
		t.Errorf("markup searched as a word: %v", hits)
	}
}
