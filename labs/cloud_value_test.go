package labs_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
)

// valueJSON is the value's JSON as encoding/json and time.Format write it.
func valueJSON(v labs.Value) ([]byte, error) {
	val, err := json.Marshal(v.Value)
	if err != nil {
		return nil, err
	}
	const layout = "2006-01-02T15:04:05.000Z07:00"
	return json.Marshal(struct {
		Value        json.RawMessage `json:"value"`
		Timestamp    string          `json:"timestamp"`
		DateReceived string          `json:"date_received"`
	}{val, v.Timestamp.UTC().Format(layout), v.DateReceived.UTC().Format(layout)})
}

// The cloud publishes and answers a posted value with Value.MarshalJSON
// alone, which writes numbers and dates by hand; the bytes must be those
// json.Marshal gives (compact, HTML and line separators escaped, dates in
// UTC with milliseconds), which is what subscribers always received.
func TestValueJSONIsWhatJSONMarshalWrites(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	times := []time.Time{
		time.Date(2025, 1, 31, 10, 0, 0, 123e6, cet),
		time.Date(2025, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(5, 2, 3, 4, 5, 6, 7, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		times = append(times, time.Unix(r.Int64N(1<<35)-1<<33, r.Int64N(1e9)).In(cet))
	}
	values := []any{json.Number("25"), json.Number("-1.5e3"), json.Number("0"), json.Number("-0.25E+10"), json.Number(""),
		21.5, 7, true, false, nil, "", "a <b> & \"c\" \u2028 é"}
	for i, at := range times {
		v := values[i%len(values)]
		val := labs.Value{Value: v, Timestamp: at, DateReceived: times[(i+1)%len(times)]}
		got, err := val.MarshalJSON()
		if err != nil {
			t.Fatalf("%#v at %v: %v", v, at, err)
		}
		want, err := valueJSON(val)
		if err != nil {
			t.Fatalf("%#v at %v: %v", v, at, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%#v at %v:\n got %s\nwant %s", v, at, got, want)
		}
	}
	for _, bad := range []json.Number{"1.", "01", "+1", "1e", "- 1", "0x10", "NaN"} {
		if _, err := (labs.Value{Value: bad}).MarshalJSON(); err == nil {
			t.Errorf("json.Number %q written as JSON", bad)
		}
	}
	got, _ := labs.Value{Value: json.Number("25"), Timestamp: times[0], DateReceived: times[0]}.MarshalJSON()
	if want := `{"value":25,"timestamp":"2025-01-31T09:00:00.123Z","date_received":"2025-01-31T09:00:00.123Z"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
