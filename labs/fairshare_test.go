package labs_test

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// Tests of issue 9: what one learner, or a stranger, may throw at a sandbox
// without taking a classmate's sandbox, or the class, down.

// wrongLogins makes n CONNECTs (MQTT 3.1.1, n at a time up to conc) with
// the wrong password for username and returns the CONNACK codes seen.
func wrongLogins(t *testing.T, addr, username, clientID string, n, conc int) map[byte]int {
	t.Helper()
	var mu sync.Mutex
	codes := map[byte]int{}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			if _, err := c.Write(labtest.Encode(t, labtest.RawConnect(4, clientID, username, "wrong", true))); err != nil {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(labtest.Wait))
			b := make([]byte, 4)
			if _, err := c.Read(b); err == nil && b[0] == packets.Connack<<4 {
				mu.Lock()
				codes[b[3]]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return codes
}

func TestHugeClientIDsAndTopicsStayBoundedInTheJournal(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true, Limits: labs.Limits{PublishRate: 1000, PublishBurst: 1000}})
	addr := labtest.StartFront(t, l)
	victim, _ := l.Sandbox("victim", labs.Setup{})
	huge := strings.Repeat("x", 60<<10)
	// A stranger's refused CONNECTs with 60 KB client ids, aimed at the victim.
	wrongLogins(t, addr, "victim", huge, 10, 10)
	// The learner's own publishes on 60 KB topics, from a 60 KB client id.
	cr := l.Credentials("victim")
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: huge[:30000], CleanStart: true,
		UsernameFlag: true, Username: cr.Username, PasswordFlag: true, Password: []byte(cr.Password)})
	c.Sub(t, "#", 0)
	for i := 0; i < 100; i++ {
		c.Pub(t, huge[:60000]+string(rune('a'+i%26)), "v", 0, false)
	}
	labtest.WaitEvent(t, victim, func(e labs.Event) bool { return e.Kind == labs.KindDeliver })
	for _, e := range victim.Journal().Since(0) {
		if len(e.ClientID) > labs.NameExcerpt || len(e.Topic) > labs.NameExcerpt {
			t.Fatalf("%s event keeps a client id of %d bytes and a topic of %d", e.Kind, len(e.ClientID), len(e.Topic))
		}
		for _, s := range []string{e.Refused().Reason, e.Coach()} {
			if len(s) > labs.TextExcerpt {
				t.Fatalf("%s event keeps a text of %d bytes", e.Kind, len(s))
			}
		}
		for _, f := range e.Subscribe().Filters {
			if len(f.Filter) > labs.NameExcerpt {
				t.Fatalf("%s event keeps a filter of %d bytes", e.Kind, len(f.Filter))
			}
		}
	}
	if b := victim.Journal().Bytes(); b > labs.JournalBytes {
		t.Fatalf("journal holds %d bytes, over its budget of %d", b, labs.JournalBytes)
	}
}

// fillEvents is more small events than a journal's budget holds.
const fillEvents = 10000

func TestJournalKeepsToItsByteBudget(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	sb, _ := l.Sandbox("j", labs.Setup{})
	payload := strings.Repeat("p", labs.PayloadExcerpt)
	const added = 2000
	for i := 0; i < added; i++ {
		sb.Journal().Add(labs.Event{Kind: labs.KindPublish, ClientID: strings.Repeat("c", 200), Topic: strings.Repeat("t", 200),
			Payload: payload, Detail: &labs.MessageInfo{Coach: strings.Repeat("r", 400)}})
	}
	all := sb.Journal().Since(0)
	if b := sb.Journal().Bytes(); b > labs.JournalBytes || len(all) == 0 || len(all) == added {
		t.Fatalf("kept %d fat events in %d bytes; budget %d bytes", len(all), b, labs.JournalBytes)
	}
	if all[len(all)-1].Seq != added {
		t.Fatalf("the newest event must be kept, got seq %d", all[len(all)-1].Seq)
	}
}

func TestWrongPasswordFloodNeitherWipesNorFloodsAClassmatesJournal(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true})
	addr := labtest.StartFront(t, l)
	victim, _ := l.Sandbox("victim", labs.Setup{})
	for range fillEvents { // a full journal of the learner's own work
		victim.Journal().Add(labs.Event{Kind: labs.KindPublish, ClientID: "mine", Topic: "devices/x"})
	}
	kept := len(victim.Journal().Since(0))
	if kept == fillEvents {
		t.Fatalf("the journal kept all %d events: not full", kept)
	}
	start := time.Now()
	codes := wrongLogins(t, addr, "victim", "attacker", 150, 75)
	took := time.Since(start)
	if codes[0x04] == 0 || codes[0x03] == 0 {
		t.Fatalf("CONNACK codes %v: want 0x04 (bad login) first, then 0x03 (slowed down) from the same address", codes)
	}
	mine, refused := 0, 0
	for _, e := range victim.Journal().Since(0) {
		switch {
		case e.Kind == labs.KindPublish && e.ClientID == "mine":
			mine++
		case e.Kind == labs.KindRefused:
			refused++
		}
	}
	if mine != kept {
		t.Fatalf("the learner's own events: %d of %d kept after %d wrong logins", mine, kept, codes[0x04]+codes[0x03])
	}
	if most := int(took/time.Second) + 2; refused == 0 || refused > most {
		t.Fatalf("%d refused lines in %v: want between 1 and %d (one a second)", refused, took, most)
	}
	// The learner, from the same address (a classroom behind NAT), still gets in.
	cr := l.Credentials("victim")
	labtest.MustDial(t, addr, &paho.Connect{ClientID: "me", CleanStart: true,
		UsernameFlag: true, Username: cr.Username, PasswordFlag: true, Password: []byte(cr.Password)})
}

func TestRepeatedLimitCountStaysWithItsBurst(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{Clients: 1}})
	addr := labtest.StartFront(t, l)
	labtest.MustDial(t, addr, &paho.Connect{ClientID: "one", CleanStart: true})
	for i := 0; i < 10; i++ {
		if _, _, err := labtest.Dial(t, addr, &paho.Connect{ClientID: "more", CleanStart: true}); err == nil {
			t.Fatal("a second client got in over a limit of 1")
		}
	}
	sb := l.Lookup(labs.PersonalLearner)
	isLimit := func(e labs.Event) bool { return e.Kind == labs.KindLimit && e.Limit().Limit == "clients" }
	// The burst's lines, and the refusals they stand for, once summed up.
	count := func() (lines, counted int) {
		for _, e := range sb.Journal().Since(0) {
			if isLimit(e) {
				lines++
				counted++
				if more := e.Limit().More; more > 0 {
					counted += more - 1 // a summary stands for its "more", not for one more refusal
				}
			}
		}
		return lines, counted
	}
	lines, counted := count()
	for deadline := time.Now().Add(labtest.Wait); counted < 10 && time.Now().Before(deadline); lines, counted = count() {
		time.Sleep(20 * time.Millisecond)
	}
	if counted != 10 || lines > 4 {
		t.Fatalf("%d journal lines standing for %d refusals; want a few lines standing for all 10", lines, counted)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, _, err := labtest.Dial(t, addr, &paho.Connect{ClientID: "later", CleanStart: true}); err == nil {
		t.Fatal("a second client got in over a limit of 1")
	}
	later := labtest.WaitEvent(t, sb, func(e labs.Event) bool { return isLimit(e) && e.ClientID == "later" })
	if later.Limit().More != 0 {
		t.Fatalf("a later, unrelated refusal carries the burst's count: %+v", later.Detail)
	}
}

func TestSustainedFloodIsDisconnectedAndFreesItsSlot(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{Clients: 1, PublishRate: 50, PublishBurst: 10, FloodTimeout: 500 * time.Millisecond}})
	addr := labtest.StartFront(t, l)
	r, _ := labtest.RawDial(t, addr, labtest.RawConnect(5, "flood", "", "", true))
	one := labtest.Encode(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, ProtocolVersion: 5, TopicName: "f", Payload: []byte("x")})
	go func() { _, _ = r.Write(bytes.Repeat(one, 8000)) }() // minutes of publishes at 50 a second
	start := time.Now()
	for {
		pk, err := r.Read()
		if err != nil {
			t.Fatalf("no DISCONNECT 0x96 after %v: %v", time.Since(start), err)
		}
		if pk.FixedHeader.Type == packets.Disconnect {
			if pk.ReasonCode != packets.ErrMessageRateTooHigh.Code {
				t.Fatalf("DISCONNECT %#x, want 0x96", pk.ReasonCode)
			}
			break
		}
	}
	// The learner's next client gets the sandbox's only slot.
	deadline := time.Now().Add(labtest.Wait)
	for {
		c, _, err := labtest.Dial(t, addr, &paho.Connect{ClientID: "next", CleanStart: true})
		if err == nil {
			_ = c.Disconnect(&paho.Disconnect{})
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the flooder's slot was not freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	labtest.WaitEvent(t, l.Lookup(labs.PersonalLearner), func(e labs.Event) bool { return e.Kind == labs.KindLimit && e.Limit().Limit == "publish-flood" })
}

func TestJournalMergesTheLearnersEventsAndTheRefusalsInOrder(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	sb, _ := l.Sandbox("j", labs.Setup{})
	for i := 0; i < 3*fillEvents; i++ {
		e := labs.Event{Kind: labs.KindPublish, ClientID: "mine"}
		if i%3 == 0 {
			e = labs.Event{Kind: labs.KindRefused}
		}
		sb.Journal().Add(e)
	}
	all := sb.Journal().Since(0)
	refused := 0
	for i, e := range all {
		if i > 0 && e.Seq <= all[i-1].Seq {
			t.Fatalf("event %d has seq %d after %d", i, e.Seq, all[i-1].Seq)
		}
		if e.Kind == labs.KindRefused {
			refused++
		}
	}
	if mine := len(all) - refused; mine < 1000 || mine >= 2*fillEvents || refused != labs.NoiseSize {
		t.Fatalf("kept %d of the learner's events and %d refusals, want over 1,000 (a full journal) and %d", mine, refused, labs.NoiseSize)
	}
	if last := all[len(all)-1]; last.Seq != 3*fillEvents {
		t.Fatalf("the newest event kept is %d, want %d", last.Seq, 3*fillEvents)
	}
	from := all[len(all)-10].Seq
	if got := sb.Journal().Since(from); len(got) != 9 || got[0].Seq <= from {
		t.Fatalf("Since(%d): %d events", from, len(got))
	}
}
