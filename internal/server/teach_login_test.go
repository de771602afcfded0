package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestInstructorTokenGuessesAreThrottledPerAddress(t *testing.T) {
	ts := newTestServer(t, true)
	guess := func(tok string) response {
		return do(t, browser(t), "POST", ts.URL+"/teach/login", url.Values{"token": {tok}}, "X-Forwarded-For", "203.0.113.7")
	}
	for i := range tokenTryBurst {
		if r := guess("wrong"); r.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, r.status)
		}
	}
	r := guess("wrong")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many tries") || r.header.Get("Retry-After") == "" {
		t.Fatalf("guess past the burst: %d, want 429 with a message and Retry-After\n%s", r.status, r.body)
	}
	// Throttled, even the right token is not compared: a guess learns nothing.
	if r := guess(testInstructorToken); r.status != http.StatusTooManyRequests {
		t.Fatalf("right token while throttled: %d, want 429", r.status)
	}
	if r := do(t, browser(t), "GET", ts.URL+"/teach?token="+testInstructorToken, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("?token= while throttled: %d, want the login form (401)", r.status)
	}
}
