package cloudapi

import (
	"reflect"
	"testing"
)

// FuzzPlainValueAgreesWithDecoder pins the fast path of posted values to the
// JSON decoder: whatever body plainValue accepts, decodeJSON must read as an
// object whose "value" is the same (numbers as written), and every body
// plainValue refuses still gets the decoder's answer. The seeds run in every
// go test; `go test -fuzz PlainValue ./internal/cloudapi` searches further.
func FuzzPlainValueAgreesWithDecoder(f *testing.F) {
	for _, body := range []string{
		`{"value": 25}`, `{ "value": 25}`, `{"value":25}`, " \t{\r\n\"value\"\n:\t-0.5e+3 }\n", `{"value": 1E9}`,
		`{"value": true}`, `{"value": false}`, `{"value": null}`, `{"value": 1000000042}`,
		`{"value": 0}`, `{"value": -0}`, `{"value": 00}`, `{"value": 01}`, `{"value": 1.}`, `{"value": .5}`,
		`{"value": 1e}`, `{"value": 1e+}`, `{"value": -}`, `{"value": +1}`, `{"value": 0x10}`, `{"value": NaN}`,
		`{"value": "on"}`, `{"value": 25, "timestamp": "2025-01-31T10:00:00.000Z"}`, `{"value": 1, "value": 2}`,
		`{"value": 25}{}`, `{"value": 25}}`, `{"value": 25`, `{"value" 25}`, `{value: 25}`, `{'value': 25}`,
		`{"Value": 25}`, `{"value": tru}`, `{"value": truex}`, `{"value": [1]}`, `{"value": {"value": 1}}`,
		`25`, `"text"`, `null`, `{}`, "\xef\xbb\xbf{\"value\": 25}", "{\"value\": 25}\x00", `{"value":1}  `,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := plainValue(body)
		if !ok {
			return
		}
		v, err := decodeJSON(body, valueExample)
		if err != nil {
			t.Fatalf("plainValue accepted %q (%#v), the decoder refuses it: %v", body, fast, err)
		}
		m, isObj := v.(map[string]any)
		if !isObj || len(m) != 1 {
			t.Fatalf("plainValue accepted %q (%#v), the decoder reads %#v", body, fast, v)
		}
		if want, has := m["value"]; !has || !reflect.DeepEqual(want, fast) {
			t.Fatalf("plainValue read %q as %#v, the decoder as %#v", body, fast, want)
		}
	})
}

// TestPlainValueTakesTheCoursesBodies makes sure the fast path is the one
// the courses' and devices' bodies take (otherwise it would only be dead
// code that agrees with the decoder).
func TestPlainValueTakesTheCoursesBodies(t *testing.T) {
	for _, body := range []string{`{ "value": 25}`, `{"value":21.5}`, `{"value": 1000000042}`, `{"value":false}`, `{"value": -3e2}`} {
		if _, ok := plainValue([]byte(body)); !ok {
			t.Errorf("%s takes the slow path", body)
		}
	}
	for _, body := range []string{`{"value": "on"}`, `{"value": 25, "timestamp": "2025-01-31T10:00:00Z"}`, `25`, `{"value": 01}`} {
		if _, ok := plainValue([]byte(body)); ok {
			t.Errorf("%s takes the fast path; it needs the decoder", body)
		}
	}
}
