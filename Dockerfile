# courselab classroom image: a static binary in a minimal, non-root image.
#   docker build -t courselab .
#   docker run -p 8080:8080 -p 1883:1883 -v courselab-data:/data courselab
# The instructor token is printed once in the log at first start, or set it
# with -e COURSELAB_INSTRUCTOR_TOKEN=...

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: the SQLite driver is pure Go, so the binary needs no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/courselab ./cmd/courselab \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/courselab /usr/local/bin/courselab
COPY --from=build --chown=65532:65532 /out/data /data
ENV COURSELAB_CLASSROOM=1 \
    COURSELAB_DATA=/data \
    COURSELAB_ADDR=:8080 \
    COURSELAB_MQTT_ADDR=:1883
USER 65532:65532
EXPOSE 8080 1883
VOLUME /data
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/courselab", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/courselab"]
CMD ["serve"]
