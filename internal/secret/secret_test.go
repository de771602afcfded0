package secret

import (
	"os"
	"path/filepath"
	"strings"
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

func TestLoadRefusesMissingOrShortSharedSecret(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), "openssl rand") {
		t.Errorf("Load(missing) = %v, want an error saying how to make one", err)
	} else {
		t.Logf("the operator reads: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("Load created the shared secret: each node would have its own")
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("hunter2\n"), 0o600)
	if _, err := Load(short); err == nil || !strings.Contains(err.Error(), "fewer than") {
		t.Errorf("Load(short) = %v, want a refusal", err)
	}
	good := filepath.Join(dir, "good")
	want := strings.Repeat("ab", 32)
	os.WriteFile(good, []byte(want+"\n"), 0o600)
	if v, err := Load(good); err != nil || v != want {
		t.Errorf("Load(good) = %q, %v; want %q", v, err, want)
	}
}

func TestDeriveIsStablePerPurposeAndHidesTheSecret(t *testing.T) {
	a, b := Derive("shared-secret", "instructor token"), Derive("shared-secret", "instructor token")
	if a != b || len(a) != 32 {
		t.Fatalf("Derive not stable: %q %q", a, b)
	}
	if Derive("shared-secret", "other") == a || Derive("another-secret", "instructor token") == a {
		t.Error("Derive gives the same value for another purpose or secret")
	}
	if strings.Contains(a, "shared") {
		t.Error("Derive leaks the secret")
	}
}
