package check

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

func TestTwoPressesAtOnceRunOneEvaluation(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "web-1").Sub(t, "devices/ESPDEVICE/#", 1)
	entered, release := make(chan struct{}, 2), make(chan struct{})
	lb.e.onEvaluate = func() { entered <- struct{}{}; <-release }
	specs := []Spec{spec("received", "device", "ESPDEVICE", "timeout", "2s")}

	var wg sync.WaitGroup
	results := make([]Result, 2)
	press := func(i int) {
		defer wg.Done()
		results[i] = lb.e.EvaluateOnce(context.Background(), "all-device-values", lb.sb, specs)
	}
	wg.Add(2)
	go press(0)
	<-entered
	go press(1)
	eventually(t, "second press joins", func() bool { return lb.e.waiting(lb.sb, "all-device-values") == 2 })
	close(release)
	wg.Wait()

	if n := lb.e.Evaluations(); n != 1 {
		t.Fatalf("%d evaluations for two presses at once", n)
	}
	if !results[0].Passed || !reflect.DeepEqual(results[0], results[1]) {
		t.Fatalf("results differ or failed:\n%+v\n%+v", results[0], results[1])
	}
	// Pressed again later: a new evaluation.
	if res := lb.e.EvaluateOnce(context.Background(), "all-device-values", lb.sb, specs); !res.Passed || lb.e.Evaluations() != 2 {
		t.Fatalf("later press: %+v, %d evaluations", res, lb.e.Evaluations())
	}
}

func TestCancelEndsAnEvaluationPromptly(t *testing.T) {
	lb := newLab(t)
	c := lb.v5Persistent(t, "away")
	c.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 1)
	_ = c.Conn.Close()
	lb.waitGone(t, "away")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	res := lb.e.EvaluateOnce(ctx, "persistent", lb.sb, []Spec{
		spec("persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value", "timeout", "10s"),
		spec("subscribed", "topics", "devices/ESPDEVICE/sensors/TC/value"),
	})
	if took := time.Since(start); took > time.Second {
		t.Fatalf("cancelled evaluation took %v", took)
	}
	if res.Passed || res.Summary != msgInterrupted || len(res.Details) != 2 {
		t.Fatalf("%+v", res)
	}
	// The evaluation itself stops too (nobody waits for it any more).
	eventually(t, "evaluation gone", func() bool { return lb.e.waiting(lb.sb, "persistent") == 0 })
	direct, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	start = time.Now()
	d := lb.e.Evaluate(direct, lb.sb, []Spec{spec("persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value", "timeout", "10s")}).Details[0]
	if time.Since(start) > time.Second || d.Passed || d.Message != msgInterrupted {
		t.Fatalf("after %v: %+v", time.Since(start), d)
	}
}

func TestOneCallerLeavingDoesNotStopTheOthersEvaluation(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "web-1").Sub(t, "devices/ESPDEVICE/#", 1)
	entered, release := make(chan struct{}, 2), make(chan struct{})
	lb.e.onEvaluate = func() { entered <- struct{}{}; <-release }
	specs := []Spec{spec("received", "device", "ESPDEVICE", "timeout", "2s")}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan Result, 1)
	go func() { first <- lb.e.EvaluateOnce(ctx, "k", lb.sb, specs) }()
	<-entered
	second := make(chan Result, 1)
	go func() { second <- lb.e.EvaluateOnce(context.Background(), "k", lb.sb, specs) }()
	eventually(t, "second press joins", func() bool { return lb.e.waiting(lb.sb, "k") == 2 })
	cancel()
	if r := <-first; r.Passed || r.Summary != msgInterrupted {
		t.Fatalf("first: %+v", r)
	}
	close(release)
	if r := <-second; !r.Passed {
		t.Fatalf("second: %+v", r)
	}
}

func TestHundredLearnersCheckedAtOnceWithoutCrossTalk(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true})
	addr := labtest.StartFront(t, l)
	e := New(labtest.QuietLogger())
	const n = 100
	sandboxes := make([]*labs.Sandbox, n)
	for i := range n {
		learner := fmt.Sprintf("learner-%03d", i)
		sb, err := l.Sandbox(learner, labs.DefaultSetup())
		if err != nil {
			t.Fatal(err)
		}
		sandboxes[i] = sb
		cr := l.Credentials(learner)
		c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "client-" + learner, CleanStart: true,
			UsernameFlag: true, Username: cr.Username, PasswordFlag: true, Password: []byte(cr.Password)})
		filter := "devices/ESPDEVICE/#"
		if i%2 == 1 {
			filter = "devices/ESPDEVICE/sensors/+/value"
		}
		c.Sub(t, filter, 1)
	}
	specs := []Spec{spec("received", "device", "ESPDEVICE", "timeout", "5s")}
	results := make([]Result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.EvaluateOnce(context.Background(), "all-device-values", sandboxes[i], specs)
		}()
	}
	wg.Wait()
	t.Logf("100 checks in %v", time.Since(start))
	for i, r := range results {
		id := fmt.Sprintf("client-learner-%03d", i)
		d := r.Details[0]
		if d.Evidence["client_id"] != id {
			t.Errorf("learner %d: evidence names %v", i, d.Evidence["client_id"])
		}
		if i%2 == 0 {
			if !r.Passed || r.Summary != fmt.Sprintf("Your client %q received all 3 fresh values of ESPDEVICE.", id) {
				t.Errorf("learner %d: %+v", i, r)
			}
		} else if r.Passed || r.Summary != fmt.Sprintf("Your client %q received 2 of the 3 fresh values, but your subscription devices/ESPDEVICE/sensors/+/value did not receive devices/ESPDEVICE/actuators/LED/value: an actuator topic is not under sensors/, try devices/ESPDEVICE/#.", id) {
			t.Errorf("learner %d: %+v", i, r)
		}
	}
	if e.Evaluations() != n {
		t.Errorf("%d evaluations for %d learners", e.Evaluations(), n)
	}
}

func TestSummaryAndBadSpecs(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "esp").Pub(t, "devices/ESPDEVICE/status", "online", 1, true)
	lb.journaled(t, 1, labs.KindPublish, "devices/ESPDEVICE/status")
	res := lb.e.Evaluate(context.Background(), lb.sb, []Spec{
		spec("retained", "topic", "devices/ESPDEVICE/status"),
		spec("published", "topic", "devices/ESPDEVICE/status", "retain", "true"),
	})
	if !res.Passed || res.Summary != "All 2 checks passed: well done." || res.At.IsZero() {
		t.Fatalf("%+v", res)
	}
	res = lb.e.Evaluate(context.Background(), lb.sb, []Spec{
		spec("retained", "topic", "devices/ESPDEVICE/status"),
		{Type: "recieved", Line: 42},
	})
	if res.Passed || !res.Details[0].Passed || res.Summary != "This exercise's check is written wrongly in the course (line 42), so it cannot be checked: tell your instructor." {
		t.Fatalf("%+v", res)
	}
	if res := lb.e.Evaluate(context.Background(), lb.sb, nil); res.Passed {
		t.Fatalf("no checks must not pass: %+v", res)
	}
}
