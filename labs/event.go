package labs

import (
	"slices"
	"time"
)

// Event kinds recorded in a Journal.
const (
	KindConnect        = "connect"
	KindDisconnect     = "disconnect"
	KindSubscribe      = "subscribe"
	KindUnsubscribe    = "unsubscribe"
	KindPublish        = "publish"
	KindDeliver        = "deliver"
	KindAck            = "ack" // an acknowledgement that refused or failed a QoS 1 or 2 exchange (AckInfo)
	KindWill           = "will"
	KindSessionResumed = "session-resumed"
	KindREST           = "rest"
	KindLimit          = "limit"
	KindRefused        = "refused"
	KindNotice         = "notice" // a sentence for the learner from the platform (NoticeInfo)
	KindFault          = "fault"  // a fault the learner injected, armed or taking effect (FaultInfo, fault_event.go)
)

// Event is one thing that happened in a sandbox, as the lab console shows it
// and as exercise checks read it. Detail holds the fields of its kind, one
// type per kind (ConnectInfo for a connect, MessageInfo for a publish…);
// read them with the accessor of the kind (e.Connect(), e.Message()…).
// Details are shared between the journal and its readers: read them, never
// change them.
type Event struct {
	Seq      uint64      `json:"seq"`
	Time     time.Time   `json:"time"`
	Kind     string      `json:"kind"`
	ClientID string      `json:"client_id,omitempty"`
	Platform bool        `json:"platform,omitempty"` // courselab's own doing (its publishes, the lab console's REST reads), not the learner's
	Topic    string      `json:"topic,omitempty"`
	Payload  string      `json:"payload,omitempty"` // an excerpt: the first PayloadExcerpt bytes, hex if not UTF-8
	QoS      byte        `json:"qos"`
	Retain   bool        `json:"retain,omitempty"`
	Detail   EventDetail `json:"detail,omitempty"`
	// Revised marks, on a live subscription only, an event sent again
	// because its exchange moved on (its acknowledgement came): it replaces
	// the event of the same Seq sent before.
	Revised bool `json:"-"`
}

// EventDetail is the kind-specific part of an Event: one of the *…Info
// types of this file.
type EventDetail interface {
	// size estimates the bytes the detail holds, for the journal's budget.
	size() int
	// clipped cuts the detail's strings to their bounds (see Journal.Add).
	clipped() EventDetail
}

// ConnectInfo details a connect: the CONNECT's flags as the broker took them.
type ConnectInfo struct {
	Protocol      string  `json:"protocol"` // MQTT 3.1, MQTT 3.1.1, MQTT 5
	CleanStart    bool    `json:"clean_start"`
	KeepAlive     uint16  `json:"keep_alive"` // seconds
	Transport     string  `json:"transport"`  // TransportTCP, TransportWS, TransportConsole
	Username      string  `json:"username,omitempty"`
	SessionExpiry *uint32 `json:"session_expiry,omitempty"` // seconds; MQTT 5 only
	WillTopic     string  `json:"will_topic,omitempty"`     // "" when the connection has no will
	WillQoS       byte    `json:"will_qos,omitempty"`
	WillRetain    bool    `json:"will_retain,omitempty"`
	WillPayload   string  `json:"will_payload,omitempty"` // an excerpt, as Event.Payload
}

// ResumedInfo details a session-resumed: what the session brought back.
type ResumedInfo struct {
	Subscriptions int `json:"subscriptions"`
	Queued        int `json:"queued"` // messages in flight or waiting for the client
}

// DisconnectInfo details a disconnect.
type DisconnectInfo struct {
	Graceful    bool   `json:"graceful"` // the client sent DISCONNECT
	Reason      string `json:"reason"`   // why the connection ended, in words
	SessionKept bool   `json:"session_kept"`
	Transport   string `json:"transport"`
	Coach       string `json:"coach,omitempty"`
}

// SubscribeInfo details a subscribe: every filter with the broker's answer.
type SubscribeInfo struct {
	Filters []FilterResult `json:"filters"`
	Coach   string         `json:"coach,omitempty"`
}

// UnsubscribeInfo details an unsubscribe.
type UnsubscribeInfo struct {
	Filters []string `json:"filters"`
}

// MessageInfo details a publish, a delivery or a will: the QoS 1 or 2
// exchange of its packet id, how it ended, and whether it was a redelivery.
type MessageInfo struct {
	PacketID uint16 `json:"packet_id,omitempty"` // QoS 1 and 2 only
	// Dup: the PUBLISH carried DUP=1, a redelivery of a message the sender
	// had sent before without its acknowledgement.
	Dup bool `json:"dup,omitempty"`
	// Ack names the latest acknowledgement of the exchange: PUBACK ends
	// QoS 1; QoS 2 goes PUBREC, PUBREL, PUBCOMP, which ends it. For a
	// publish the broker sends PUBACK, PUBREC and PUBCOMP and the client
	// PUBREL; for a delivery the other way round. "" while nothing has
	// answered the PUBLISH, or at QoS 0. A refusal is an ack event of its
	// own (AckInfo).
	Ack      string    `json:"ack,omitempty"`
	AckedAt  time.Time `json:"acked_at,omitzero"`   // when Ack came (to the millisecond)
	DelayedS uint32    `json:"delayed_s,omitempty"` // a will sent after its will delay (seconds)
	Coach    string    `json:"coach,omitempty"`
}

// AckInfo details an ack: a PUBACK, PUBREC or PUBCOMP that refused or
// failed an exchange. Acknowledgements that move one on are not events of
// their own: they are the Ack of the MessageInfo of the publish or delivery.
type AckInfo struct {
	Packet     string `json:"packet"` // PUBACK, PUBREC, PUBCOMP
	From       string `json:"from"`   // broker or client
	PacketID   uint16 `json:"packet_id"`
	ReasonCode byte   `json:"reason_code"`
	Reason     string `json:"reason,omitempty"`
}

// RESTInfo details a call of the sandbox's REST API.
type RESTInfo struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"` // the error message the caller got
}

// LimitInfo details a limit the sandbox enforced.
type LimitInfo struct {
	Limit   string `json:"limit"` // which one: clients, publish-rate, sessions…
	Message string `json:"message"`
	More    int    `json:"more,omitempty"` // how many more within a second (see Sandbox.note)
}

// RefusedInfo details a refused connection.
type RefusedInfo struct {
	Reason    string `json:"reason"`
	Transport string `json:"transport"`
	More      int    `json:"more,omitempty"`
}

// NoticeInfo details a notice from the platform.
type NoticeInfo struct {
	Message string `json:"message"`
}

// detailOf is e's detail when it is a *T, else the zero T.
func detailOf[T any](e Event) T {
	if p, ok := any(e.Detail).(*T); ok && p != nil {
		return *p
	}
	var zero T
	return zero
}

// Connect is the detail of a connect (zero for another kind).
func (e Event) Connect() ConnectInfo { return detailOf[ConnectInfo](e) }

// Resumed is the detail of a session-resumed (zero for another kind).
func (e Event) Resumed() ResumedInfo { return detailOf[ResumedInfo](e) }

// Disconnect is the detail of a disconnect (zero for another kind).
func (e Event) Disconnect() DisconnectInfo { return detailOf[DisconnectInfo](e) }

// Subscribe is the detail of a subscribe (zero for another kind).
func (e Event) Subscribe() SubscribeInfo { return detailOf[SubscribeInfo](e) }

// Unsubscribe is the detail of an unsubscribe (zero for another kind).
func (e Event) Unsubscribe() UnsubscribeInfo { return detailOf[UnsubscribeInfo](e) }

// Message is the detail of a publish, delivery or will (zero for another
// kind, and for a QoS 0 message without explanation).
func (e Event) Message() MessageInfo { return detailOf[MessageInfo](e) }

// Ack is the detail of an ack (zero for another kind).
func (e Event) Ack() AckInfo { return detailOf[AckInfo](e) }

// REST is the detail of a rest (zero for another kind).
func (e Event) REST() RESTInfo { return detailOf[RESTInfo](e) }

// Limit is the detail of a limit (zero for another kind).
func (e Event) Limit() LimitInfo { return detailOf[LimitInfo](e) }

// Refused is the detail of a refused (zero for another kind).
func (e Event) Refused() RefusedInfo { return detailOf[RefusedInfo](e) }

// Notice is the detail of a notice (zero for another kind).
func (e Event) Notice() NoticeInfo { return detailOf[NoticeInfo](e) }

// Coach is the protocol coach's explanation of e, if any (see coach.go).
func (e Event) Coach() string {
	switch d := e.Detail.(type) {
	case *MessageInfo:
		return d.Coach
	case *DisconnectInfo:
		return d.Coach
	case *SubscribeInfo:
		return d.Coach
	case *FaultInfo:
		return d.Coach
	}
	return ""
}

// Sizes of the details, for the journal's byte budget: the struct, plus
// the strings and slices it points to.
const (
	stringHeader = 16
	detailHeader = 16 // the allocation's rounding and the interface's word
)

func (d *ConnectInfo) size() int {
	n := detailHeader + 7*stringHeader + 16 + len(d.Protocol) + len(d.Transport) + len(d.Username) + len(d.WillTopic) + len(d.WillPayload)
	if d.SessionExpiry != nil {
		n += 8
	}
	return n
}
func (d *ResumedInfo) size() int { return detailHeader + 16 }
func (d *DisconnectInfo) size() int {
	return detailHeader + 3*stringHeader + 8 + len(d.Reason) + len(d.Transport) + len(d.Coach)
}
func (d *SubscribeInfo) size() int {
	n := detailHeader + 24 + stringHeader + len(d.Coach)
	for _, f := range d.Filters {
		n += stringHeader + 8 + len(f.Filter)
	}
	return n
}
func (d *UnsubscribeInfo) size() int {
	n := detailHeader + 24
	for _, f := range d.Filters {
		n += stringHeader + len(f)
	}
	return n
}
func (d *MessageInfo) size() int {
	return detailHeader + 2*stringHeader + 40 + len(d.Ack) + len(d.Coach)
}
func (d *AckInfo) size() int {
	return detailHeader + 3*stringHeader + 8 + len(d.Packet) + len(d.From) + len(d.Reason)
}
func (d *RESTInfo) size() int {
	return detailHeader + 3*stringHeader + 8 + len(d.Method) + len(d.Path) + len(d.Error)
}
func (d *LimitInfo) size() int {
	return detailHeader + 2*stringHeader + 8 + len(d.Limit) + len(d.Message)
}
func (d *RefusedInfo) size() int {
	return detailHeader + 2*stringHeader + 8 + len(d.Reason) + len(d.Transport)
}
func (d *NoticeInfo) size() int { return detailHeader + stringHeader + len(d.Message) }

// clipped returns the detail with its strings cut to their bounds
// (NameExcerpt for names, TextExcerpt for text): itself when none is too
// long, else a copy.
func (d *ConnectInfo) clipped() EventDetail {
	c := *d
	c.Username, c.WillTopic = clip(c.Username, NameExcerpt), clip(c.WillTopic, NameExcerpt)
	return keepIfSame(d, &c)
}
func (d *ResumedInfo) clipped() EventDetail { return d }
func (d *DisconnectInfo) clipped() EventDetail {
	c := *d
	c.Reason, c.Coach = clip(c.Reason, TextExcerpt), clip(c.Coach, TextExcerpt)
	return keepIfSame(d, &c)
}
func (d *SubscribeInfo) clipped() EventDetail {
	if len(d.Coach) <= TextExcerpt && !slices.ContainsFunc(d.Filters, func(f FilterResult) bool { return len(f.Filter) > NameExcerpt }) {
		return d
	}
	c := SubscribeInfo{Coach: clip(d.Coach, TextExcerpt), Filters: make([]FilterResult, len(d.Filters))}
	for i, f := range d.Filters {
		f.Filter = clip(f.Filter, NameExcerpt)
		c.Filters[i] = f
	}
	return &c
}
func (d *UnsubscribeInfo) clipped() EventDetail {
	if !slices.ContainsFunc(d.Filters, func(f string) bool { return len(f) > NameExcerpt }) {
		return d
	}
	c := UnsubscribeInfo{Filters: make([]string, len(d.Filters))}
	for i, f := range d.Filters {
		c.Filters[i] = clip(f, NameExcerpt)
	}
	return &c
}
func (d *MessageInfo) clipped() EventDetail {
	c := *d
	c.Coach = clip(c.Coach, TextExcerpt)
	return keepIfSame(d, &c)
}
func (d *AckInfo) clipped() EventDetail {
	c := *d
	c.Reason = clip(c.Reason, TextExcerpt)
	return keepIfSame(d, &c)
}
func (d *RESTInfo) clipped() EventDetail {
	c := *d
	c.Path, c.Error = clip(c.Path, TextExcerpt), clip(c.Error, TextExcerpt)
	return keepIfSame(d, &c)
}
func (d *LimitInfo) clipped() EventDetail {
	c := *d
	c.Message = clip(c.Message, TextExcerpt)
	return keepIfSame(d, &c)
}
func (d *RefusedInfo) clipped() EventDetail {
	c := *d
	c.Reason = clip(c.Reason, TextExcerpt)
	return keepIfSame(d, &c)
}
func (d *NoticeInfo) clipped() EventDetail {
	c := *d
	c.Message = clip(c.Message, TextExcerpt)
	return keepIfSame(d, &c)
}

// keepIfSame returns orig when its clipped copy c is equal to it, so that
// a detail with short strings is stored without a copy.
func keepIfSame[D comparable, P interface {
	*D
	EventDetail
}](orig, c P) EventDetail {
	if *orig == *c {
		return orig
	}
	return c
}
