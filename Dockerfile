# A small static image with both programs: tallyfacade (the service) and
# tallysim (the Tally gateway simulator). Pure Go, no cgo (the embedded store
# is modernc.org/sqlite), so the binaries run on a distroless base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# timetzdata embeds the zone database, so "today in Asia/Kolkata" is right
# whatever the base image carries.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/tallyfacade ./cmd/tallyfacade \
 && CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/tallysim ./cmd/tallysim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tallyfacade /out/tallysim /usr/local/bin/
WORKDIR /home/nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/tallyfacade"]
CMD ["serve"]
