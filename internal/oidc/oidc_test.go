package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/oidc"
	"github.com/courselab/courselab/internal/oidc/oidctest"
)

const redirect = "http://127.0.0.1:1/auth/oidc/callback"

// authorize plays the browser at the provider: it follows the flow's
// authorization URL and returns the code and state sent back.
func authorize(t *testing.T, p *oidc.Provider, f oidc.Flow) (code, state string) {
	t.Helper()
	u, err := p.AuthCodeURL(context.Background(), f, redirect)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("the provider answered %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return back.Query().Get("code"), back.Query().Get("state")
}

func TestSignInReturnsTheProvidersIdentityAndAppliesTheInstructorRule(t *testing.T) {
	mock := oidctest.Start(t)
	cfg := mock.Config()
	cfg.InstructorEmails = []string{"alan@school.example"}
	p := oidc.New(cfg)
	ctx := context.Background()
	for _, tc := range []struct {
		who        oidctest.Person
		name       string
		instructor bool
	}{
		{oidctest.Person{Subject: "s-ada", Name: "Ada Lovelace", Email: "Ada@School.example", EmailVerified: true}, "Ada Lovelace", false},
		{oidctest.Person{Subject: "s-grace", Name: "Grace Hopper", Groups: []string{"staff", "teachers"}}, "Grace Hopper", true},
		{oidctest.Person{Subject: "s-alan", Email: "alan@school.example", EmailVerified: true}, "alan", true},
		{oidctest.Person{Subject: "s-eve", Name: "Eve", Email: "alan@school.example", EmailVerified: false}, "Eve", false},
	} {
		mock.SignsInNext(tc.who)
		f := oidc.NewFlow()
		code, state := authorize(t, p, f)
		if state != f.State {
			t.Fatalf("state came back as %q, sent %q", state, f.State)
		}
		id, err := p.Exchange(ctx, f, code, redirect)
		if err != nil {
			t.Fatalf("%s: %v", tc.who.Subject, err)
		}
		if id.Issuer != cfg.Issuer || id.Subject != tc.who.Subject || id.DisplayNames()[0] != tc.name {
			t.Errorf("%s: identity %+v, names %q", tc.who.Subject, id, id.DisplayNames())
		}
		if got := p.IsInstructor(id); got != tc.instructor {
			t.Errorf("%s (%s): instructor = %v, want %v", tc.who.Subject, id.Who(), got, tc.instructor)
		}
	}
}

func TestSignInRefusesAReusedCodeAndAForeignNonce(t *testing.T) {
	mock := oidctest.Start(t)
	p := oidc.New(mock.Config())
	ctx := context.Background()

	f := oidc.NewFlow()
	code, _ := authorize(t, p, f)
	if _, err := p.Exchange(ctx, f, code, redirect); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exchange(ctx, f, code, redirect); !errors.Is(err, oidc.ErrRefused) {
		t.Errorf("the same code twice: %v, want ErrRefused", err)
	}

	// A code obtained for another flow's nonce and verifier.
	other := oidc.NewFlow()
	code, _ = authorize(t, p, other)
	mine := oidc.NewFlow()
	if _, err := p.Exchange(ctx, mine, code, redirect); !errors.Is(err, oidc.ErrRefused) {
		t.Errorf("another flow's code: %v, want ErrRefused (PKCE)", err)
	}
	code, _ = authorize(t, p, other)
	mixed := other
	mixed.Nonce = mine.Nonce
	if _, err := p.Exchange(ctx, mixed, code, redirect); !errors.Is(err, oidc.ErrRefused) {
		t.Errorf("a token with another sign-in's nonce: %v, want ErrRefused", err)
	}
}

func TestAnUnreachableProviderSaysSo(t *testing.T) {
	p := oidc.New(config.OIDC{Issuer: "http://127.0.0.1:1/nothing", ClientID: "c", ClientSecret: "s", Scopes: []string{"openid"}})
	if _, err := p.AuthCodeURL(context.Background(), oidc.NewFlow(), redirect); !errors.Is(err, oidc.ErrUnreachable) {
		t.Errorf("AuthCodeURL with the provider down: %v, want ErrUnreachable", err)
	}
	if err := p.Check(context.Background()); !errors.Is(err, oidc.ErrUnreachable) {
		t.Errorf("Check with the provider down: %v", err)
	}
}
