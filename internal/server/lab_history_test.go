package server

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs/labtest"
)

func TestHistoryAndTopicsExportWhatWasPublished(t *testing.T) {
	ts := startServer(t, timelineCourse(), false)
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: "lamp", CleanStart: true})
	c.Pub(t, "home/lamp/state", "on", 1, true)
	c.Pub(t, "home/lamp/state", "off", 0, false)
	c.Pub(t, "home/door", `{"open": true}`, 0, false)
	c.Pub(t, "garden/rain", "0.4, with \"quotes\"", 0, false)
	c.Pub(t, "sync", "", 1, false)

	hist := func(query string) response {
		t.Helper()
		return get(t, ts.URL+"/api/lab/history?"+query)
	}

	// The journal is written as the broker handles each publish, maybe
	// after the PUBACK: wait for the last one.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(hist("filter=sync").body, `"topic":"sync"`); {
		if time.Now().After(deadline) {
			t.Fatal("the publishes never reached the history")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// JSON, filtered with a wildcard.
	r := hist("filter=" + url.QueryEscape("home/#"))
	var body struct {
		Messages []struct {
			Client, Topic, Payload string
			QoS                    byte
			Retain                 bool
		}
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || r.status != 200 {
		t.Fatalf("history: %d %s (%v)", r.status, r.body, err)
	}
	if len(body.Messages) != 3 || body.Messages[0].Topic != "home/lamp/state" || !body.Messages[0].Retain ||
		body.Messages[0].QoS != 1 || body.Messages[0].Client != "lamp" || body.Messages[2].Payload != `{"open": true}` {
		t.Errorf("home/# history = %+v", body.Messages)
	}

	// CSV download: parses, holds every message, quotes kept.
	r = hist("format=csv")
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, `attachment; filename="lab-history.csv"`) {
		t.Errorf("csv Content-Disposition = %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 6 || rows[0][2] != "topic" || rows[4][2] != "garden/rain" || rows[4][5] != "0.4, with \"quotes\"" {
		t.Errorf("csv = %q (%v)", rows, err)
	}

	// JSON Lines download of one topic.
	r = hist("format=jsonl&filter=garden/%2B")
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "lab-history.jsonl") {
		t.Errorf("jsonl Content-Disposition = %q", cd)
	}
	sc := bufio.NewScanner(strings.NewReader(r.body))
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["topic"] != "garden/rain" {
			t.Errorf("jsonl line %q: %v", sc.Text(), err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("jsonl has %d lines, want 1", n)
	}

	// Nothing after a time in the future; mistakes answered in words.
	if r = hist("since=2999-01-01T00:00:00Z"); !strings.Contains(r.body, `"messages":[]`) {
		t.Errorf("since the future: %s", r.body)
	}
	for q, want := range map[string]string{
		"filter=" + url.QueryEscape("devices/#/value"): "# must be the last level",
		"since=yesterday": "neither a time",
		"format=xml":      "not one of json, jsonl, csv",
	} {
		if r = hist(q); r.status != 400 || !strings.Contains(r.body, want) {
			t.Errorf("%s: %d %s, want 400 saying %q", q, r.status, r.body, want)
		}
	}

	// The journal exports the same way, with connects and all.
	r = get(t, ts.URL+"/api/lab/journal?format=jsonl")
	if !strings.Contains(r.body, `"kind":"connect"`) || !strings.Contains(r.body, `"client_id":"lamp"`) {
		t.Errorf("journal export lacks lamp's connect: %.300s", r.body)
	}

	// The tree: one entry per topic, last payload, count, retained flag.
	r = get(t, ts.URL+"/api/lab/topics")
	var tree struct {
		Topics []treeTopic
		Seq    uint64
	}
	if err := json.Unmarshal([]byte(r.body), &tree); err != nil {
		t.Fatal(err)
	}
	var lamp *treeTopic
	for i := range tree.Topics {
		if tree.Topics[i].Topic == "home/lamp/state" {
			lamp = &tree.Topics[i]
		}
	}
	if len(tree.Topics) < 3 || lamp == nil || lamp.Count != 2 || !lamp.Retained || lamp.LastQoS != 0 || lamp.Rate != 2 || tree.Seq == 0 {
		t.Errorf("tree = %s", r.body)
	}
	if !strings.Contains(r.body, `"last_payload":"off"`) || !strings.Contains(r.body, `"last_publisher":"lamp"`) {
		t.Errorf("tree lacks the lamp's last message: %s", r.body)
	}
}

type treeTopic struct {
	Topic         string
	LastPayload   string `json:"last_payload"`
	LastPublisher string `json:"last_publisher"`
	Count         int
	Retained      bool
	LastQoS       byte `json:"last_qos"`
	Rate          float64
}
