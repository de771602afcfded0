package check

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/labstack/echo/v4"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/internal/cloudapi"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// lab is a personal-mode sandbox reached through a real front, with its
// REST API served like the server does.
type lab struct {
	labs *labs.Labs
	addr string // MQTT
	sb   *labs.Sandbox
	e    *Engine
	api  string // HTTP base URL, once started with withAPI
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := labtest.NewLabs(t, labs.Config{})
	sb, err := l.Sandbox(labs.PersonalLearner, labs.DefaultSetup())
	if err != nil {
		t.Fatal(err)
	}
	return &lab{labs: l, addr: labtest.StartFront(t, l), sb: sb, e: New(labtest.QuietLogger())}
}

// withAPI serves the simulated cloud's REST API over real HTTP.
func (lb *lab) withAPI(t *testing.T) *lab {
	t.Helper()
	e := echo.New()
	cloudapi.Register(e.Group("/api/v2"), lb.labs, func(echo.Context) (*labs.Sandbox, error) { return lb.sb, nil })
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	lb.api = srv.URL
	return lb
}

// call makes an HTTP request like the course's curl line.
func (lb *lab) call(t *testing.T, method, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, lb.api+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// check evaluates one spec and returns its detail.
func (lb *lab) check(t *testing.T, typ string, kv ...string) Detail {
	t.Helper()
	res := lb.e.Evaluate(context.Background(), lb.sb, []Spec{spec(typ, kv...)})
	if len(res.Details) != 1 {
		t.Fatalf("details: %+v", res)
	}
	return res.Details[0]
}

func spec(typ string, kv ...string) Spec {
	s := Spec{Type: typ, Args: map[string]string{}, Line: 7}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Args[kv[i]] = kv[i+1]
	}
	return s
}

// v5 connects an MQTT 5 client with a clean start.
func (lb *lab) v5(t *testing.T, id string) *labtest.Client {
	t.Helper()
	return labtest.MustDial(t, lb.addr, &paho.Connect{ClientID: id, CleanStart: true})
}

// v5Persistent connects an MQTT 5 client that keeps its session for 5 minutes.
func (lb *lab) v5Persistent(t *testing.T, id string) *labtest.Client {
	t.Helper()
	expiry := uint32(300)
	return labtest.MustDial(t, lb.addr, &paho.Connect{ClientID: id, CleanStart: false,
		Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}})
}

// raw3 connects an MQTT 3.1.1 client; will is "topic" or "" for none.
func (lb *lab) raw3(t *testing.T, id string, clean bool, will string) *labtest.Raw {
	t.Helper()
	pk := labtest.RawConnect(4, id, "", "", clean)
	if will != "" {
		pk.Connect.WillFlag, pk.Connect.WillTopic, pk.Connect.WillPayload = true, will, []byte("offline")
	}
	r, ack := labtest.RawDial(t, lb.addr, pk)
	if ack.ReasonCode != 0 {
		t.Fatalf("connect %s refused: %d", id, ack.ReasonCode)
	}
	return r
}

// subscribe3 subscribes a raw 3.1.1 client and waits for its SUBACK.
func subscribe3(t *testing.T, r *labtest.Raw, filter string, qos byte) {
	t.Helper()
	r.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1,
		Filters: packets.Subscriptions{{Filter: filter, Qos: qos}}})
	for {
		pk, err := r.Read()
		if err != nil {
			t.Fatalf("suback: %v", err)
		}
		if pk.FixedHeader.Type == packets.Suback {
			return
		}
	}
}

// disconnect3 ends a raw client gracefully (DISCONNECT) and waits for the
// broker to see it go.
func (lb *lab) disconnect3(t *testing.T, r *labtest.Raw, id string) {
	t.Helper()
	r.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
	_ = r.Close()
	lb.waitGone(t, id)
}

// waitGone waits until the client is no longer connected.
func (lb *lab) waitGone(t *testing.T, id string) {
	t.Helper()
	eventually(t, "client "+id+" gone", func() bool {
		for _, s := range lb.sb.Sessions() {
			if s.ClientID == id && s.Connected {
				return false
			}
		}
		return true
	})
}

// eventually polls cond for a few seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(labtest.Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantPass and wantFail assert a detail's verdict and that its message holds every part.
func wantPass(t *testing.T, d Detail, parts ...string) {
	t.Helper()
	if !d.Passed {
		t.Fatalf("want pass, got: %s (evidence %v)", d.Message, d.Evidence)
	}
	wantMessage(t, d, parts...)
}

func wantFail(t *testing.T, d Detail, parts ...string) {
	t.Helper()
	if d.Passed {
		t.Fatalf("want failure, got pass: %s (evidence %v)", d.Message, d.Evidence)
	}
	wantMessage(t, d, parts...)
}

func wantMessage(t *testing.T, d Detail, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(d.Message, p) {
			t.Fatalf("message %q lacks %q", d.Message, p)
		}
	}
	if strings.Count(d.Message, ". ") > 0 || !strings.HasSuffix(d.Message, ".") {
		t.Errorf("message is not one sentence: %q", d.Message)
	}
}

// journaled waits until the journal holds n events of kind (on topic, if given).
func (lb *lab) journaled(t *testing.T, n int, kind, topic string) {
	t.Helper()
	eventually(t, kind+" events in the journal", func() bool {
		k := 0
		for _, e := range lb.sb.Journal().Since(0) {
			if e.Kind == kind && (topic == "" || e.Topic == topic) {
				k++
			}
		}
		return k >= n
	})
}

// completed waits until the journal holds n messages (publishes or
// deliveries) whose exchange had its final acknowledgement ack.
func (lb *lab) completed(t *testing.T, n int, ack string) {
	t.Helper()
	eventually(t, ack+" in the journal", func() bool {
		k := 0
		for _, e := range lb.sb.Journal().Since(0) {
			if e.Message().Ack == ack {
				k++
			}
		}
		return k >= n
	})
}

// journaledDelivery waits until the journal holds a delivery to client on
// topic. The broker writes it once the packet is sent, so a subscriber may
// hold the message a moment before the journal does.
func (lb *lab) journaledDelivery(t *testing.T, client, topic string) {
	t.Helper()
	eventually(t, "a delivery to "+client+" on "+topic+" in the journal", func() bool {
		for _, e := range lb.sb.Journal().Since(0) {
			if e.Kind == labs.KindDeliver && e.ClientID == client && e.Topic == topic {
				return true
			}
		}
		return false
	})
}
