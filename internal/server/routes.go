package server

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/courselab/courselab/internal/cloudapi"
)

// cloudAPIPath is where the simulated cloud's API is mounted; the request
// log and the cross-site check treat it apart.
const cloudAPIPath = "/api/v2"

// routes lists every route of the server in one place.
func (s *Server) routes() {
	e := s.echo
	e.Use(middleware.Recover())
	e.Use(s.reqLog.middleware)
	e.Use(securityHeaders)
	e.Use(sameOriginWrites())
	e.Use(boundedBodies(BodyTimeout))

	e.GET("/healthz", s.healthShow)
	e.GET("/readyz", s.healthShow)
	e.GET("/static/*", s.staticShow)

	e.GET("/join", s.joinShow)
	e.POST("/join", s.joinSave)
	e.GET("/resume/:token", s.resumeAsk)
	e.POST("/resume/:token", s.resumeSave)
	if s.sso != nil {
		e.GET("/auth/oidc/start", s.oidcStart)
		e.GET("/auth/oidc/callback", s.oidcCallback)
	}

	learner := e.Group("", s.requireLearner)
	learner.GET("/", s.catalogShow)
	learner.GET("/courses/:course", s.courseShow)
	learner.GET("/courses/:course/*", s.courseFileOrSection)
	learner.GET("/categories/*", s.categoryShow)
	learner.GET("/programs", s.programsShow)
	learner.GET("/programs/*", s.sitePageShow)
	learner.GET("/resources", s.libraryShow)
	learner.GET("/resources/*", s.sitePageShow)
	learner.GET("/solutions", s.libraryShow)
	learner.GET("/solutions/*", s.sitePageShow)
	learner.GET("/welcome/*", s.sitePageShow)
	learner.GET("/search", s.searchShow)
	learner.GET("/api/lab", s.labShow)
	learner.GET("/api/progress", s.progressJSON)
	learner.GET("/progress", s.progressShow)
	learner.GET("/resume", s.resumeMine)
	learner.POST("/api/courses/:course/quizzes/:quiz/answer", s.quizAnswer)
	learner.POST("/courses/:course/quizzes/:quiz", s.quizAnswerForm)
	learner.GET("/api/courses/:course/marks", s.courseMarksShow)
	learner.POST("/api/courses/:course/sections/:section/read", s.sectionRead)
	learner.GET("/api/courses/:course/exercises", s.exercisesList)
	learner.POST("/api/courses/:course/exercises/:exercise/check", s.exerciseCheck)

	// The lab console: the live log and the learner's web MQTT clients.
	con := s.console
	learner.GET("/api/lab/events", con.labEvents)
	learner.GET("/api/lab/clients", con.clientsList)
	learner.POST("/api/lab/clients", con.clientCreate)
	learner.POST("/api/lab/clients/:id/connect", con.clientConnect)
	learner.POST("/api/lab/clients/:id/subscribe", con.clientSubscribe)
	learner.POST("/api/lab/clients/:id/unsubscribe", con.clientUnsubscribe)
	learner.POST("/api/lab/clients/:id/publish", con.clientPublish)
	learner.POST("/api/lab/clients/:id/disconnect", con.clientDisconnect)
	learner.POST("/api/lab/clients/:id/drop", con.clientDrop)
	learner.DELETE("/api/lab/clients/:id", con.clientDelete)
	learner.GET("/api/lab/topics", s.labTopics)
	learner.POST("/api/lab/topics/clear-retained", s.labClearRetained)
	learner.GET("/api/lab/history", s.labHistory)
	learner.GET("/api/lab/journal", s.labJournal)
	learner.GET("/api/lab/faults", s.faultsShow)
	learner.POST("/api/lab/faults/withhold-ack", s.faultWithholdAck)
	learner.POST("/api/lab/faults/delay", s.faultDelay)
	learner.POST("/api/lab/faults/restart", s.faultRestart)
	learner.POST("/api/lab/faults/unreachable", s.faultUnreachable)
	learner.POST("/api/lab/faults/drop", s.faultDrop)

	// MQTT over WebSocket, then the simulated IoT cloud (it authenticates
	// with the lab token itself).
	e.GET("/mqtt", echo.WrapHandler(s.labs.Front()), s.mqttOrigin)
	cloudapi.Register(e.Group(cloudAPIPath), s.labs, s.cloudSandbox)

	e.POST("/teach/login", s.teachLogin)
	teach := e.Group("/teach", s.requireInstructor)
	teach.GET("", s.teachShow)
	teach.GET("/events", s.teachEvents)
	teach.GET("/export.csv", s.teachExport)
	teach.POST("/learners/:learner/reset-lab", s.teachResetLab)
	teach.GET("/classes", s.classesShow)
	teach.GET("/classes/new", s.classNew)
	teach.POST("/classes", s.classCreate)
	teach.GET("/classes/:class", s.classEdit)
	teach.POST("/classes/:class", s.classUpdate)
	teach.GET("/sessions", s.teachSessions)
	teach.POST("/sessions/:id/revoke", s.teachSessionRevoke)
	teach.GET("/mistakes", s.teachMistake)
	teach.GET("/learners/:learner", s.teachLearner)
	teach.GET("/learners/:learner/lab", s.teachLearnerLab)
	teach.GET("/learners/:learner/reset-lab", s.teachResetAsk)
	teach.GET("/learners/:learner/resume-link", s.teachResumeShow)
	teach.POST("/learners/:learner/resume-link", s.teachResumeReissue)

	e.RouteNotFound("/*", func(c echo.Context) error { return notFound("There is no page at this address.") })
}
