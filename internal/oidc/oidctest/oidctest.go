// Package oidctest runs a real OpenID Connect provider in the test process
// (github.com/oauth2-proxy/mockoidc on a loopback port) and signs in the
// people a test queues, with the claims a school's provider sends.
package oidctest

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/courselab/courselab/internal/config"
)

// Person is someone with an account at the provider.
type Person struct {
	Subject       string
	Name          string
	Email         string
	EmailVerified bool
	Groups        []string
}

// ID is the subject claim.
func (p Person) ID() string { return p.Subject }

type claims struct {
	*mockoidc.IDTokenClaims
	Name          string   `json:"name,omitempty"`
	Email         string   `json:"email,omitempty"`
	EmailVerified bool     `json:"email_verified,omitempty"`
	Groups        []string `json:"groups,omitempty"`
}

// scoped returns the claims the scopes let out, as a provider does.
func (p Person) scoped(scope []string, base *mockoidc.IDTokenClaims) claims {
	c := claims{IDTokenClaims: base}
	if slices.Contains(scope, "profile") {
		c.Name = p.Name
	}
	if slices.Contains(scope, "email") {
		c.Email, c.EmailVerified = p.Email, p.EmailVerified
	}
	if slices.Contains(scope, "groups") {
		c.Groups = p.Groups
	}
	return c
}

// Userinfo is the userinfo endpoint's answer.
func (p Person) Userinfo(scope []string) ([]byte, error) {
	c := p.scoped(scope, &mockoidc.IDTokenClaims{RegisteredClaims: &jwt.RegisteredClaims{Subject: p.Subject}})
	return json.Marshal(c)
}

// Claims are the ID token's claims.
func (p Person) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c := p.scoped(scope, base)
	return &c, nil
}

// Provider is a running test provider.
type Provider struct{ *mockoidc.MockOIDC }

// Start runs a provider on loopback until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("start the test OpenID Connect provider: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return &Provider{m}
}

// SignsInNext makes the provider's next authorization sign in p: the test
// provider asks nobody for a password.
func (p *Provider) SignsInNext(person Person) { p.QueueUser(person) }

// Config is courselab's single sign-on set-up for this provider, with
// instructors in the group "teachers" (the groups scope is asked for).
func (p *Provider) Config() config.OIDC {
	c := p.MockOIDC.Config()
	return config.OIDC{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ProviderName: "School SSO",
		Scopes: []string{"openid", "profile", "email", "groups"}, InstructorClaim: "groups", InstructorClaimValue: "teachers"}
}
