package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestInstructorResetReconnectsTheLearnersConsoleClients: in classroom
// mode, Ada has a console client subscribed to devices/+/status; the
// instructor resets her lab from /teach. Her log tells her in words what
// happened, and her console client is back on the fresh broker with its
// subscription, without her doing anything: a message published there
// reaches it.
func TestInstructorResetReconnectsTheLearnersConsoleClients(t *testing.T) {
	t.Parallel()
	srv := startServer(t, true)
	ada := srv.join(t, "Ada")

	call := func(web *http.Client, path, body string) []byte {
		t.Helper()
		resp, err := web.Post(srv.Base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %s %s", path, resp.Status, b)
		}
		return b
	}
	var created struct {
		Client struct {
			ID string `json:"id"`
		} `json:"client"`
	}
	if err := json.Unmarshal(call(ada.Web, "/api/lab/clients", `{"client_id": "web-1"}`), &created); err != nil || created.Client.ID == "" {
		t.Fatalf("open a console client: %v %+v", err, created)
	}
	client := created.Client
	call(ada.Web, "/api/lab/clients/"+client.ID+"/subscribe", `{"filter": "devices/+/status", "qos": 1}`)

	// The instructor resets Ada's lab from /teach.
	jar, _ := cookiejar.New(nil)
	teacher := &http.Client{Jar: jar}
	if resp, err := teacher.PostForm(srv.Base+"/teach/login", url.Values{"token": {"e2e-instructor"}}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("instructor login: %v %v", err, resp)
	}
	resp, err := teacher.Get(srv.Base + "/teach")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ask := regexp.MustCompile(`href="(/teach/learners/[^"/]+/reset-lab)"`).FindSubmatch(page)
	if ask == nil {
		t.Fatalf("/teach has no reset link:\n%s", page)
	}
	// The link asks first, naming the learner; its form resets.
	resp, err = teacher.Get(srv.Base + string(ask[1]))
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`action="(/teach/learners/[^"/]+/reset-lab)"`).FindSubmatch(page)
	if m == nil || !strings.Contains(string(page), "Ada") {
		t.Fatalf("the reset confirmation has no button or does not name Ada:\n%s", page)
	}
	if resp, err := teacher.PostForm(srv.Base+string(m[1]), nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reset Ada's lab: %v %v", err, resp)
	}

	// Her fresh journal opens saying what a reset is, then what became of
	// her console client.
	for _, w := range []string{"Your instructor reset your lab", `Your console client "web-1" reconnected by itself, with its subscriptions`} {
		notice := srv.awaitJournalAs(t, ada.Web, "a notice: "+w, func(e journalEvent) bool {
			msg, _ := e.Detail["message"].(string)
			return e.Kind == "notice" && strings.Contains(msg, w)
		})
		if notice.Source != "platform" {
			t.Errorf("the notice comes from %q, want platform", notice.Source)
		}
	}

	call(ada.Web, "/api/lab/clients/"+client.ID+"/publish", `{"topic": "devices/ESPDEVICE/status", "payload": "back", "qos": 1}`)
	srv.awaitJournalAs(t, ada.Web, "the console client receiving its publish after the reset", func(e journalEvent) bool {
		return e.Kind == "deliver" && e.ClientID == "web-1" && e.Payload == "back"
	})
}
