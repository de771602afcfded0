package labs_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
)

// The cloud publishes and answers a posted value with Value.MarshalJSON
// alone; the bytes must be those json.Marshal gave (compact, HTML and line
// separators escaped), which is what subscribers received before.
func TestValueJSONIsWhatJSONMarshalWrites(t *testing.T) {
	at := time.Date(2025, 1, 31, 10, 0, 0, 123e6, time.FixedZone("CET", 3600))
	for _, v := range []any{json.Number("25"), json.Number("-1.5e3"), 21.5, 7, true, nil, "", "a <b> & \"c\" \u2028 é"} {
		val := labs.Value{Value: v, Timestamp: at, DateReceived: at.Add(time.Second)}
		got, err := val.MarshalJSON()
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		want, err := json.Marshal(val)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
		}
	}
	got, _ := labs.Value{Value: json.Number("25"), Timestamp: at, DateReceived: at}.MarshalJSON()
	if want := `{"value":25,"timestamp":"2025-01-31T09:00:00.123Z","date_received":"2025-01-31T09:00:00.123Z"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
