package cloudapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// authToken answers POST /auth/token with the bearer token as plain text,
// as the Waziup API does. In personal mode any body works (there is one
// learner and no secret to protect); in classroom mode the body must hold
// the sandbox's MQTT username and password.
func (a *api) authToken(c echo.Context) error {
	if !a.labs.Classroom() {
		return c.String(http.StatusOK, a.labs.Credentials(a.labs.Personal()).Token)
	}
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := c.Bind(&body); err != nil || body.Username == "" {
		return jsonError(c, http.StatusBadRequest, `send your lab username and password as JSON: {"username":"…","password":"…"} (see your lab panel)`)
	}
	learner, ok := a.labs.Authenticate(body.Username, body.Password)
	if !ok {
		return jsonError(c, http.StatusUnauthorized, "wrong username or password: copy them again from your lab panel")
	}
	return c.String(http.StatusOK, a.labs.Credentials(learner).Token)
}
