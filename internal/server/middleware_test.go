package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// A client trickling its request body is answered 408 once the body
// timeout passes, and its connection closed; a whole body passes through.
func TestSlowBodiesAreCutOffAtTheBodyTimeout(t *testing.T) {
	e := echo.New()
	e.Use(boundedBodies(300 * time.Millisecond))
	e.POST("/join", func(c echo.Context) error { return c.String(http.StatusOK, "name="+c.FormValue("name")) })
	ts := httptest.NewServer(e)
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/join", "application/x-www-form-urlencoded", strings.NewReader("name=Ada"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "name=Ada" {
		t.Fatalf("whole body: %d %q", resp.StatusCode, b)
	}

	c, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "POST /join HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname=")
	start := time.Now()
	go func() { // one byte now and then, as the attack does
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	if r.StatusCode != http.StatusRequestTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("slow body: %d after %v, want 408 after about 300ms", r.StatusCode, time.Since(start))
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection kept open after a timed-out body")
	}
}

func TestBodiesOverTheLimitAreRefusedInWords(t *testing.T) {
	ts := newTestServer(t, true)
	req, _ := http.NewRequest("POST", ts.URL+"/join", strings.NewReader(strings.Repeat("x", MaxBodyBytes+1)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "larger than") {
		t.Fatalf("oversized body: %d, want 413 in words\n%s", resp.StatusCode, b)
	}
}
