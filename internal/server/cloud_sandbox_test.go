package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/courselab/courselab/content"
)

// swappableCatalog is a CatalogSource whose catalog a test replaces, as a
// reload of the courses folder does.
type swappableCatalog struct {
	c atomic.Pointer[content.Catalog]
}

func (s *swappableCatalog) Catalog() *content.Catalog { return s.c.Load() }

func labCourse(devices ...string) fstest.MapFS {
	var b strings.Builder
	b.WriteString("---\nid: iot\ntitle: IoT\nlab:\n  devices:\n")
	for _, d := range devices {
		b.WriteString("    - id: " + d + "\n      name: Board\n      sensors:\n        - {id: TC, kind: temperature, value: 20}\n")
	}
	b.WriteString("---\n# One\n\nText.\n")
	return fstest.MapFS{"iot/index.md": {Data: []byte(b.String())}}
}

// cloudDevices lists the ids of the devices the token's sandbox has, through
// the simulated cloud.
func cloudDevices(t *testing.T, ts *testServer, token string) []string {
	t.Helper()
	r := do(t, http.DefaultClient, "GET", ts.URL+"/api/v2/devices", nil, "Authorization", "Bearer "+token)
	var ds []struct{ ID, Name string }
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &ds) != nil {
		t.Fatalf("GET /api/v2/devices: %d %s", r.status, r.body)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID+"="+d.Name)
	}
	return ids
}

// The cloud applies the lab set-up to a sandbox once, not on every call;
// a reloaded catalog whose set-up changed must still reach a sandbox that
// already exists, and the same catalog must not undo what the learner did.
func TestCloudSandboxGetsTheReloadedSetupOnce(t *testing.T) {
	ts := startServer(t, labCourse("DEV1"), true)
	src := &swappableCatalog{}
	src.c.Store(content.Load(labCourse("DEV1"), content.Options{}))
	ts.srv.courses = src // before any request

	b := join(t, ts, "Ada")
	tok := labOf(t, b, ts).Token
	if got := cloudDevices(t, ts, tok); strings.Join(got, ",") != "DEV1=Board" {
		t.Fatalf("devices before the reload: %v, want DEV1=Board", got)
	}
	// The learner renames the course's device: the calls after it keep the
	// learner's name (the set-up applied on every call used to undo it).
	req, _ := http.NewRequest("POST", ts.URL+"/api/v2/devices", strings.NewReader(`{"id":"DEV1","name":"my board"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := cloudDevices(t, ts, tok); strings.Join(got, ",") != "DEV1=my board" {
		t.Fatalf("devices after the learner renamed DEV1: %v, want DEV1=my board", got)
	}
	// The course's set-up changes: the existing sandbox gets the new device
	// (and the course's names again).
	src.c.Store(content.Load(labCourse("DEV1", "DEV2"), content.Options{}))
	if got := cloudDevices(t, ts, tok); strings.Join(got, ",") != "DEV1=Board,DEV2=Board" {
		t.Fatalf("devices after the reload added DEV2: %v, want DEV1=Board,DEV2=Board", got)
	}
}

// Tokens are checked on every call (only the token's HMAC is computed now,
// not the whole credentials): a forged or another learner's token stays out.
func TestCloudRefusesForgedTokens(t *testing.T) {
	ts := startServer(t, labCourse("DEV1"), true)
	ada := labOf(t, join(t, ts, "Ada"), ts).Token
	grace := labOf(t, join(t, ts, "Grace"), ts).Token
	adaID, adaMAC, _ := strings.Cut(ada, ".")
	graceID, _, _ := strings.Cut(grace, ".")
	for name, tok := range map[string]string{
		"Grace's id with Ada's MAC": graceID + "." + adaMAC,
		"Ada's token cut short":     ada[:len(ada)-1],
		"Ada's id, no MAC":          adaID + ".",
		"another id, Ada's MAC":     base64.RawURLEncoding.EncodeToString([]byte("someone")) + "." + adaMAC,
	} {
		r := do(t, http.DefaultClient, "GET", ts.URL+"/api/v2/devices", nil, "Authorization", "Bearer "+tok)
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "not valid") {
			t.Errorf("%s: %d %s, want 401 saying the token is not valid", name, r.status, r.body)
		}
	}
	if got := cloudDevices(t, ts, grace); len(got) != 1 {
		t.Errorf("Grace's own token: devices %v", got)
	}
}
