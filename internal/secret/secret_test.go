package secret

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateKeepsTheSameSecretAcrossRestarts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "secret")
	v1, created, err := LoadOrCreate(file, 32)
	if err != nil || !created || len(v1) != 64 {
		t.Fatalf("first: %q %v %v", v1, created, err)
	}
	st, _ := os.Stat(file)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", st.Mode().Perm())
	}
	v2, created, err := LoadOrCreate(file, 32)
	if err != nil || created || v2 != v1 {
		t.Fatalf("second: %q %v %v, want %q again", v2, created, err, v1)
	}
}

func TestSignerRefusesTamperedValues(t *testing.T) {
	s := NewSigner("k", "cookie")
	signed := s.Sign("learner-42")
	if v, ok := s.Verify(signed); !ok || v != "learner-42" {
		t.Fatalf("Verify(Sign(x)) = %q %v", v, ok)
	}
	other := NewSigner("k", "other purpose")
	for _, bad := range []string{"", "x", signed + "x", "bGVhcm5lci00Mw." + signed[len("bGVhcm5lci00Mg."):], other.Sign("learner-42")} {
		if _, ok := s.Verify(bad); ok {
			t.Errorf("Verify(%q) accepted a value it did not sign", bad)
		}
	}
}
