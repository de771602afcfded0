package throttle

import (
	"testing"
	"time"
)

func TestBurstThenRefusedWithTheWaitThenAllowedAgain(t *testing.T) {
	p := New(50*time.Millisecond, 3)
	for i := range 3 {
		if ok, _ := p.Allow("10.0.0.1"); !ok {
			t.Fatalf("action %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := p.Allow("10.0.0.1")
	if ok || wait <= 0 || wait > 50*time.Millisecond {
		t.Fatalf("4th action: ok=%v wait=%v, want refused with a wait of at most 50ms", ok, wait)
	}
	if ok, _ := p.Allow("10.0.0.2"); !ok {
		t.Fatal("another address was refused because of the first")
	}
	time.Sleep(wait + 5*time.Millisecond)
	if ok, _ := p.Allow("10.0.0.1"); !ok {
		t.Fatal("still refused after the wait it was told")
	}
}

func TestRefusedTriesDoNotPushTheNextTokenFurther(t *testing.T) {
	p := New(40*time.Millisecond, 1)
	p.Allow("a")
	for range 100 {
		p.Allow("a")
	}
	time.Sleep(50 * time.Millisecond)
	if ok, _ := p.Allow("a"); !ok {
		t.Fatal("refused tries used up tokens they were never given")
	}
}

func TestFullBucketsAreForgotten(t *testing.T) {
	p := New(time.Millisecond, 1)
	for _, a := range []string{"a", "b", "c"} {
		p.Allow(a)
	}
	time.Sleep(5 * time.Millisecond)
	p.swept = time.Time{} // as if a minute had passed
	p.Allow("d")
	if n := p.Len(); n != 1 {
		t.Fatalf("%d buckets kept, want only the one just used", n)
	}
}
