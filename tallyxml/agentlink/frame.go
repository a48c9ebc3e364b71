package agentlink

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/coder/websocket"
)

// Frame types.
const (
	frameRequest = "req" // hub → agent: a gateway request
	frameAnswer  = "res" // agent → hub: Tally's answer
	frameError   = "err" // agent → hub: no answer; Code says why
)

// maxHeader bounds a frame's JSON header: it carries a few short fields.
const maxHeader = 4 << 10

// header is a frame's JSON header. Its body follows it untouched.
type header struct {
	Type string `json:"t"`
	ID   uint64 `json:"id"`
	// Method is GET (the liveness probe) or POST; requests only.
	Method string `json:"m,omitempty"`
	// ContentType is the request's or Tally's answer's Content-Type, with
	// its charset, as sent.
	ContentType string `json:"ct,omitempty"`
	// TimeoutMS is what was left of the caller's deadline when the request
	// was sent, in milliseconds; 0 means none. A duration, not a time: the
	// two machines' clocks need not agree.
	TimeoutMS int64 `json:"to,omitempty"`
	// Status is Tally's HTTP status; answers only.
	Status int `json:"st,omitempty"`
	// Code is why an error frame has no answer: a tallyxml transport kind
	// label (refused, unreachable, timeout, reset, garbage) or read_only.
	Code string `json:"code,omitempty"`
	// Message explains Code for logs.
	Message string `json:"msg,omitempty"`
}

var errFrame = errors.New("agentlink: malformed frame")

// encodeFrame renders a frame: length, JSON header, body.
func encodeFrame(h header, body []byte) ([]byte, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if len(hb) > maxHeader {
		return nil, fmt.Errorf("%w: header of %d bytes", errFrame, len(hb))
	}
	out := make([]byte, 4, 4+len(hb)+len(body))
	binary.BigEndian.PutUint32(out, uint32(len(hb)))
	out = append(out, hb...)
	return append(out, body...), nil
}

// decodeFrame splits a frame the peer sent. The body aliases b.
func decodeFrame(b []byte) (header, []byte, error) {
	var h header
	if len(b) < 4 {
		return h, nil, fmt.Errorf("%w: %d bytes", errFrame, len(b))
	}
	n := binary.BigEndian.Uint32(b)
	if n > maxHeader || int(n) > len(b)-4 {
		return h, nil, fmt.Errorf("%w: header length %d of %d bytes", errFrame, n, len(b))
	}
	if err := json.Unmarshal(b[4:4+n], &h); err != nil {
		return h, nil, fmt.Errorf("%w: %w", errFrame, err)
	}
	switch h.Type {
	case frameRequest, frameAnswer, frameError:
	default:
		return h, nil, fmt.Errorf("%w: type %q", errFrame, truncate(h.Type, 16))
	}
	return h, b[4+n:], nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// readFrame reads the peer's next frame.
func readFrame(ctx context.Context, conn *websocket.Conn) (header, []byte, error) {
	typ, b, err := conn.Read(ctx)
	if err != nil {
		return header{}, nil, err
	}
	if typ != websocket.MessageBinary {
		return header{}, nil, fmt.Errorf("%w: a text message", errFrame)
	}
	return decodeFrame(b)
}
