package labs

// Faults, as journal lines (KindFault).
const (
	FaultWithholdAck = "withhold-ack"
	FaultDelay       = "delay"
	FaultRestart     = "restart"
	FaultUnreachable = "unreachable"
	FaultDrop        = "drop"
)

// FaultInfo details a fault: armed by the learner (Armed), taking effect
// (an ack withheld, the broker restarted or unreachable) or over (Ended).
type FaultInfo struct {
	Fault    string `json:"fault"` // FaultWithholdAck, FaultDelay, FaultRestart, FaultUnreachable, FaultDrop
	Armed    bool   `json:"armed,omitempty"`
	Ended    bool   `json:"ended,omitempty"`
	From     string `json:"from,omitempty"`      // withhold-ack: whose ack, "client" or "broker"
	Packet   string `json:"packet,omitempty"`    // withhold-ack: PUBACK, PUBREC, PUBCOMP
	PacketID uint16 `json:"packet_id,omitempty"` // withhold-ack: the exchange it belonged to
	DelayMs  int64  `json:"delay_ms,omitempty"`
	Seconds  int    `json:"seconds,omitempty"` // how long a delay or an outage lasts
	Coach    string `json:"coach"`
}

// Fault is the detail of a fault (zero for another kind).
func (e Event) Fault() FaultInfo { return detailOf[FaultInfo](e) }

func (d *FaultInfo) size() int {
	return detailHeader + 4*stringHeader + 32 + len(d.Fault) + len(d.From) + len(d.Packet) + len(d.Coach)
}

func (d *FaultInfo) clipped() EventDetail {
	c := *d
	c.Coach = clip(c.Coach, TextExcerpt)
	return keepIfSame(d, &c)
}
