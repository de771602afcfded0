package labs_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
)

// The console (web/static/lab/log.js), the journal export and the tests
// of the API read the detail of an event by its JSON keys: the typed
// details keep the keys the map had.
func TestEventDetailsKeepTheirJSONKeys(t *testing.T) {
	at := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	expiry := uint32(0)
	for _, c := range []struct {
		e    labs.Event
		want string
	}{
		{labs.Event{Kind: labs.KindConnect, Detail: &labs.ConnectInfo{Protocol: "MQTT 5", CleanStart: false, KeepAlive: 30,
			Transport: labs.TransportTCP, SessionExpiry: &expiry, WillTopic: "w", WillQoS: 1, WillPayload: "bye"}},
			`{"protocol":"MQTT 5","clean_start":false,"keep_alive":30,"transport":"tcp","session_expiry":0,"will_topic":"w","will_qos":1,"will_payload":"bye"}`},
		{labs.Event{Kind: labs.KindDisconnect, Detail: &labs.DisconnectInfo{Reason: "gone", Transport: "tcp"}},
			`{"graceful":false,"reason":"gone","session_kept":false,"transport":"tcp"}`},
		{labs.Event{Kind: labs.KindSubscribe, Detail: &labs.SubscribeInfo{Filters: []labs.FilterResult{{Filter: "a/#", QoS: 1, Code: 1}}, Coach: "why"}},
			`{"filters":[{"filter":"a/#","qos":1,"code":1}],"coach":"why"}`},
		{labs.Event{Kind: labs.KindDeliver, Detail: &labs.MessageInfo{PacketID: 7, Dup: true, Ack: "PUBACK", AckedAt: at}},
			`{"packet_id":7,"dup":true,"ack":"PUBACK","acked_at":"2026-12-04T17:00:00Z"}`},
		{labs.Event{Kind: labs.KindREST, Detail: &labs.RESTInfo{Method: "POST", Path: "/api/v2/devices", Status: 400, Error: "no"}},
			`{"method":"POST","path":"/api/v2/devices","status":400,"error":"no"}`},
		{labs.Event{Kind: labs.KindLimit, Detail: &labs.LimitInfo{Limit: "clients", Message: "full", More: 3}},
			`{"limit":"clients","message":"full","more":3}`},
		{labs.Event{Kind: labs.KindNotice, Detail: &labs.NoticeInfo{Message: "reset"}}, `{"message":"reset"}`},
		{labs.Event{Kind: labs.KindPublish}, ``},
	} {
		b, err := json.Marshal(c.e)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if string(got.Detail) != c.want {
			t.Errorf("%s: detail %s, want %s", c.e.Kind, got.Detail, c.want)
		}
	}
}

// An accessor of another kind reads zero values, never panics.
func TestEventAccessorsOfAnotherKindAreZero(t *testing.T) {
	e := labs.Event{Kind: labs.KindREST, Detail: &labs.RESTInfo{Status: 200}}
	if e.Connect().CleanStart || e.Disconnect().Reason != "" || e.Message().PacketID != 0 || e.Coach() != "" || e.REST().Status != 200 {
		t.Fatalf("accessors read %+v wrongly", e)
	}
	if (labs.Event{}).Subscribe().Filters != nil {
		t.Fatal("an event without detail has filters")
	}
}
