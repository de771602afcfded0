// Package oidc signs people in with the school's OpenID Connect provider:
// the authorization code flow with PKCE, a nonce in the ID token, and the
// rule that says who among the provider's users is an instructor. It knows
// nothing of learners, cookies or pages; internal/server does.
package oidc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/courselab/courselab/internal/config"
)

// ErrUnreachable wraps a failure to read the provider's discovery document:
// the provider is down or the issuer URL is wrong, nobody can sign in.
var ErrUnreachable = errors.New("the sign-in provider cannot be reached")

// ErrRefused wraps a sign-in the provider or the ID token did not confirm:
// a code already used, a token for another client, a wrong nonce.
var ErrRefused = errors.New("the sign-in was not confirmed")

// requestTimeout bounds each call to the provider, so a slow provider makes
// a clear error page rather than a hanging one.
const requestTimeout = 10 * time.Second

// retryDiscoveryAfter keeps a provider that is down from being asked again
// by every visitor of the join page.
const retryDiscoveryAfter = 5 * time.Second

// Provider is one configured OpenID Connect provider. Its discovery
// document is read on first use and kept, so courselab starts even while
// the provider is down.
type Provider struct {
	cfg    config.OIDC
	client *http.Client

	mu       sync.Mutex
	provider *gooidc.Provider // nil until discovered
	failed   time.Time        // when discovery last failed
	lastErr  error
}

// New returns the provider cfg describes; cfg.Enabled() must hold.
func New(cfg config.OIDC) *Provider {
	return &Provider{cfg: cfg, client: &http.Client{Timeout: requestTimeout}}
}

// Name is what the sign-in button calls the provider.
func (p *Provider) Name() string { return p.cfg.ProviderName }

// SignsInInstructors tells whether any identity can be an instructor.
func (p *Provider) SignsInInstructors() bool { return p.cfg.SignsInInstructors() }

func (p *Provider) discover(ctx context.Context) (*gooidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	if time.Since(p.failed) < retryDiscoveryAfter {
		return nil, p.lastErr
	}
	pr, err := gooidc.NewProvider(gooidc.ClientContext(ctx, p.client), p.cfg.Issuer)
	if err != nil {
		p.failed, p.lastErr = time.Now(), fmt.Errorf("%w: %s: %v", ErrUnreachable, p.cfg.Issuer, err)
		return nil, p.lastErr
	}
	p.provider = pr
	return pr, nil
}

// Check reads the discovery document now, so a wrong issuer shows in the
// log at start rather than at the first sign-in.
func (p *Provider) Check(ctx context.Context) error {
	_, err := p.discover(ctx)
	return err
}

// FormTargets are the origins a sign-in started from a form passes through
// on its way to the provider: the issuer's and, once the discovery document
// was read, the authorization endpoint's. A browser follows a form's
// redirects only to origins its page's Content-Security-Policy lists in
// form-action.
func (p *Provider) FormTargets() []string {
	targets := []string{origin(p.cfg.Issuer)}
	p.mu.Lock()
	pr := p.provider
	p.mu.Unlock()
	if pr != nil {
		if o := origin(pr.Endpoint().AuthURL); o != targets[0] {
			targets = append(targets, o)
		}
	}
	return slices.DeleteFunc(targets, func(o string) bool { return o == "" })
}

// origin is scheme://host[:port] of an absolute http(s) URL, or "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (p *Provider) oauth2Config(pr *gooidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: pr.Endpoint(),
		RedirectURL: redirectURL, Scopes: p.cfg.Scopes}
}

// Flow is what one sign-in must remember between sending the browser to
// the provider and its return: the state that ties the return to this
// browser, the nonce the ID token must carry, and the PKCE verifier.
type Flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
}

// NewFlow makes a flow with fresh random values.
func NewFlow() Flow {
	return Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthCodeURL is where to send the browser to sign in; the provider sends
// it back to redirectURL with a code and f.State.
func (p *Provider) AuthCodeURL(ctx context.Context, f Flow, redirectURL string) (string, error) {
	pr, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	return p.oauth2Config(pr, redirectURL).AuthCodeURL(f.State, gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// Exchange trades the code the provider returned for an ID token, checks
// its signature, audience, expiry and nonce, and returns who signed in.
// redirectURL must be the one AuthCodeURL was given.
func (p *Provider) Exchange(ctx context.Context, f Flow, code, redirectURL string) (Identity, error) {
	pr, err := p.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx = gooidc.ClientContext(ctx, p.client)
	tok, err := p.oauth2Config(pr, redirectURL).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: code exchange: %v", ErrRefused, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: the token response has no ID token (is the openid scope asked for?)", ErrRefused)
	}
	idt, err := pr.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: ID token: %v", ErrRefused, err)
	}
	if idt.Nonce != f.Nonce {
		return Identity{}, fmt.Errorf("%w: the ID token's nonce is not this sign-in's", ErrRefused)
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject}
	if err := idt.Claims(&id.claims); err != nil {
		return Identity{}, fmt.Errorf("%w: ID token claims: %v", ErrRefused, err)
	}
	id.Name, id.PreferredUsername = id.text("name"), id.text("preferred_username")
	id.GivenName, id.FamilyName = id.text("given_name"), id.text("family_name")
	id.Email = strings.ToLower(id.text("email"))
	switch v := id.claims["email_verified"].(type) {
	case bool:
		id.EmailVerified = v
	case string: // some providers send "true"
		id.EmailVerified = v == "true"
	}
	return id, nil
}

// Identity is who signed in, as the ID token says.
type Identity struct {
	Issuer, Subject                                string // together the person's lasting identity
	Name, GivenName, FamilyName, PreferredUsername string
	Email                                          string // lower case
	EmailVerified                                  bool

	claims map[string]any
}

// text returns a string claim, or "".
func (id Identity) text(name string) string {
	s, _ := id.claims[name].(string)
	return s
}

// DisplayNames are the names the identity offers for display, best first:
// the name claim, given and family name, the username, the e-mail's local
// part. The caller keeps the first that passes its own validation.
func (id Identity) DisplayNames() []string {
	local, _, _ := strings.Cut(id.Email, "@")
	var out []string
	for _, n := range []string{id.Name, strings.TrimSpace(id.GivenName + " " + id.FamilyName), id.PreferredUsername, local} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Who says who this is in a list of instructor sessions or in a log line:
// the e-mail address, else a name, else the subject.
func (id Identity) Who() string {
	for _, s := range []string{id.Email, id.Name, id.PreferredUsername} {
		if s != "" {
			return s
		}
	}
	return id.Subject
}

// IsInstructor applies the configured rule: the instructor claim holds the
// configured value (a string equal to it, or a list containing it; a dotted
// name such as realm_access.roles reaches into objects), or the identity's
// e-mail address is verified and listed.
func (p *Provider) IsInstructor(id Identity) bool {
	if c := p.cfg.InstructorClaim; c != "" && claimHolds(id.claims, c, p.cfg.InstructorClaimValue) {
		return true
	}
	return id.Email != "" && id.EmailVerified && slices.Contains(p.cfg.InstructorEmails, id.Email)
}

func claimHolds(claims map[string]any, path, want string) bool {
	var v any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		v = m[part]
	}
	switch v := v.(type) {
	case string:
		return v == want
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	case json.Number:
		return v.String() == want
	}
	return false
}
