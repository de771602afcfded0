package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/courselab/courselab/courses"
)

// call sends a JSON request and decodes the JSON answer.
func call(t *testing.T, method, url string, body any) (int, map[string]any) {
	t.Helper()
	var r *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	} else {
		r = strings.NewReader("")
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestConsoleAPIRunsWebClientsAndAnswersMistakesAtTheirField(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	api := ts.URL + "/api/lab/clients"
	status, body := call(t, "POST", api, map[string]any{"client_id": "web-a", "protocol": "3.1.1"})
	if status != http.StatusCreated {
		t.Fatalf("open: %d %v", status, body)
	}
	id := body["client"].(map[string]any)["id"].(string)
	if st := body["client"].(map[string]any)["state"]; st != "connected" {
		t.Fatalf("state %v", st)
	}
	big := strings.Repeat("x", ts.labs.Config().Limits.PacketSize)
	cases := []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"invalid filter", "/" + id + "/subscribe", map[string]any{"filter": "devices/#/TC"}, 400, "filter"},
		{"qos 3", "/" + id + "/subscribe", map[string]any{"filter": "a", "qos": 3}, 400, "qos"},
		{"wildcard topic", "/" + id + "/publish", map[string]any{"topic": "a/+", "payload": "x"}, 400, "topic"},
		{"payload too large", "/" + id + "/publish", map[string]any{"topic": "a", "payload": big}, 429, "payload"},
		{"no client id", "", map[string]any{"client_id": ""}, 400, "client_id"},
		{"bad will", "", map[string]any{"client_id": "w", "will": map[string]any{"topic": "x/#", "payload": "p"}}, 400, "will.topic"},
		{"unknown client", "/c42/publish", map[string]any{"topic": "a", "payload": "x"}, 404, ""},
	}
	for _, tc := range cases {
		status, body := call(t, "POST", api+tc.path, tc.body)
		if status != tc.status || body["field"] != nilIfEmpty(tc.field) || body["error"] == "" {
			t.Errorf("%s: %d %v, want %d at field %q with a message", tc.name, status, body, tc.status, tc.field)
		}
	}
	if status, body := call(t, "POST", api+"/"+id+"/subscribe", map[string]any{"filter": "devices/+/sensors/#", "qos": 1}); status != 200 {
		t.Fatalf("subscribe: %d %v", status, body)
	}
	if status, body := call(t, "POST", api+"/"+id+"/publish", map[string]any{"topic": "devices/D/sensors/TC/value", "payload": `{"value":25}`, "qos": 2, "retain": true}); status != 200 {
		t.Fatalf("publish: %d %v", status, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := call(t, "GET", api, nil)
		cl := body["clients"].([]any)[0].(map[string]any)
		if msgs, _ := cl["messages"].([]any); len(msgs) == 1 {
			m := msgs[0].(map[string]any)
			if m["payload"] != `{"value":25}` || m["qos"] != float64(1) {
				t.Errorf("message %v, want the payload at the granted QoS 1", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message: %v", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		call(t, "POST", api, map[string]any{"client_id": "more-" + strconv.Itoa(i)})
	}
	if status, body := call(t, "POST", api, map[string]any{"client_id": "one-too-many"}); status != 429 || body["field"] != "client_id" {
		t.Errorf("fifth client: %d %v, want 429 at client_id", status, body)
	}
	if status, _ := call(t, "DELETE", api+"/"+id, nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status, body := call(t, "POST", api+"/"+id+"/drop", nil); status != 404 {
		t.Errorf("drop after delete: %d %v", status, body)
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// sseEvent is one Server-Sent Event as read by the test.
type sseEvent struct{ id, event, data string }

// readSSE streams the events of GET url (with Last-Event-ID when last is set).
func readSSE(t *testing.T, ctx context.Context, url, last string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	ch := make(chan sseEvent, 1024)
	go func() {
		defer res.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.event != "" || e.data != "" {
					ch <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.data += line[6:]
			}
		}
	}()
	return ch
}

// journalIDs collects journal event ids until one whose payload holds want.
func journalIDs(t *testing.T, ch <-chan sseEvent, want string) []uint64 {
	t.Helper()
	var ids []uint64
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			if e.event != "journal" {
				continue
			}
			n, err := strconv.ParseUint(e.id, 10, 64)
			if err != nil {
				t.Fatalf("journal event without a numeric id: %+v", e)
			}
			ids = append(ids, n)
			if strings.Contains(e.data, want) {
				return ids
			}
		case <-timeout:
			t.Fatalf("no journal event with %q; ids so far %v", want, ids)
		}
	}
}

func TestLabEventsResumeAfterLastEventIDWithoutDuplicates(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	api := ts.URL + "/api/lab/clients"
	_, body := call(t, "POST", api, map[string]any{"client_id": "web-log"})
	id := body["client"].(map[string]any)["id"].(string)
	call(t, "POST", api+"/"+id+"/publish", map[string]any{"topic": "log/one", "payload": "first"})

	ctx, cancel := context.WithCancel(context.Background())
	first := journalIDs(t, readSSE(t, ctx, ts.URL+"/api/lab/events", ""), "first")
	cancel() // the connection is lost
	last := first[len(first)-1]

	call(t, "POST", api+"/"+id+"/publish", map[string]any{"topic": "log/two", "payload": "second"})
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	ch := readSSE(t, ctx2, ts.URL+"/api/lab/events", strconv.FormatUint(last, 10))
	// The console's clients come first, so the panel can draw them.
	select {
	case e := <-ch:
		if e.event != "clients" || !strings.Contains(e.data, "web-log") {
			t.Errorf("first event %+v, want the console's clients", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no first event")
	}
	second := journalIDs(t, ch, "second")
	seen := map[uint64]bool{}
	for _, n := range first {
		seen[n] = true
	}
	for _, n := range second {
		if seen[n] {
			t.Errorf("journal event %d sent again after resuming from %d", n, last)
		}
		seen[n] = true
	}
	for i := uint64(1); i <= second[len(second)-1]; i++ {
		if !seen[i] {
			t.Errorf("journal event %d never sent", i)
		}
	}
}

// A QoS 1 delivery is one journal line: the stream sends it, then, when the
// client's PUBACK comes, the same line again as "revised" with its ack.
func TestLabEventsReviseADeliveryWithItsAck(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	api := ts.URL + "/api/lab/clients"
	_, body := call(t, "POST", api, map[string]any{"client_id": "web-acks"})
	id := body["client"].(map[string]any)["id"].(string)
	if status, body := call(t, "POST", api+"/"+id+"/subscribe", map[string]any{"filter": "acks/#", "qos": 1}); status != 200 {
		t.Fatalf("subscribe: %d %v", status, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := readSSE(t, ctx, ts.URL+"/api/lab/events", "")
	call(t, "POST", api+"/"+id+"/publish", map[string]any{"topic": "acks/one", "payload": "hello", "qos": 1})
	type line struct {
		Seq    uint64 `json:"seq"`
		Kind   string `json:"kind"`
		Detail struct {
			Ack string `json:"ack"`
		} `json:"detail"`
	}
	var delivered uint64
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			var l line
			if e.event != "journal" && e.event != "revised" || json.Unmarshal([]byte(e.data), &l) != nil || l.Kind != "deliver" {
				continue
			}
			if e.event == "journal" {
				delivered = l.Seq
				if l.Detail.Ack == "PUBACK" {
					t.Fatalf("the delivery was sent with its ack before the ack could come: %s", e.data)
				}
				continue
			}
			if l.Seq != delivered || l.Detail.Ack != "PUBACK" || e.id != "" {
				t.Fatalf("revised line %s (id %q), want seq %d with ack PUBACK and no id", e.data, e.id, delivered)
			}
			return
		case <-timeout:
			t.Fatal("no revised delivery line")
		}
	}
}
