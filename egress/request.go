package egress

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The egress proxy reads a request's line and header itself, with
// net/textproto, rather than with net/http: net/http brings TLS, X.509,
// HTTP/2 and their package initialisers into every start of the launcher,
// filtered or not. The checks are those of net/http's request reader, so
// that what one refused the other refuses too: a valid method and
// version, a parseable target, one Host header at most, agreeing
// Content-Length headers, "chunked" as the only transfer coding.

// egressRequest is a request as the proxy reads it.
type egressRequest struct {
	method string
	// target is the request target as sent: host:port for CONNECT, an
	// absolute URI for a plain HTTP request to a proxy.
	target string
	url    *url.URL
	proto  string // "HTTP/1.1"
	major  int
	minor  int
	header textproto.MIMEHeader
	// length is the body's length from Content-Length, -1 for a
	// chunked body; a request with neither has none (0).
	length  int64
	chunked bool
}

// readEgressRequest reads one request's line and header from br.
func readEgressRequest(br *bufio.Reader) (*egressRequest, error) {
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, err
	}
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("malformed request line %q", line)
	}
	if !egressToken(method) {
		return nil, fmt.Errorf("invalid method %q", method)
	}
	r := &egressRequest{method: method, target: target, proto: proto}
	if r.major, r.minor, ok1 = egressVersion(proto); !ok1 {
		return nil, fmt.Errorf("malformed HTTP version %q", proto)
	}
	// CONNECT names an authority, which parses as a URL's only once it
	// has a scheme; one starting with "/" is a path, as net/http reads
	// it too.
	raw := target
	authority := method == "CONNECT" && !strings.HasPrefix(raw, "/")
	if authority {
		raw = "http://" + raw
	}
	if r.url, err = url.ParseRequestURI(raw); err != nil {
		return nil, err
	}
	if authority {
		r.url.Scheme = ""
	}
	if r.header, err = tp.ReadMIMEHeader(); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(r.header["Host"]) > 1 {
		return nil, errors.New("too many Host headers")
	}
	if err := r.readFraming(); err != nil {
		return nil, err
	}
	return r, nil
}

// readFraming reads how the body is delimited. Every ambiguity is refused
// rather than resolved, since the destination could resolve it otherwise
// and read a second request out of the first one's body.
func (r *egressRequest) readFraming() error {
	if te, ok := r.header["Transfer-Encoding"]; ok {
		delete(r.header, "Transfer-Encoding")
		// HTTP/1.0 has no transfer codings: the header means nothing.
		if r.major > 1 || (r.major == 1 && r.minor >= 1) {
			if len(te) != 1 {
				return fmt.Errorf("too many transfer encodings: %q", te)
			}
			if !strings.EqualFold(te[0], "chunked") {
				return fmt.Errorf("unsupported transfer encoding: %q", te[0])
			}
			r.chunked = true
		}
	}
	cls := r.header["Content-Length"]
	delete(r.header, "Content-Length")
	if len(cls) > 0 {
		first := textproto.TrimString(cls[0])
		for _, cl := range cls[1:] {
			if textproto.TrimString(cl) != first {
				return fmt.Errorf("differing Content-Length headers: %q", cls)
			}
		}
		n, err := strconv.ParseUint(first, 10, 63)
		if err != nil {
			return fmt.Errorf("bad Content-Length %q", first)
		}
		r.length = int64(n)
	}
	if r.chunked {
		r.length = -1
		if err := egressCheckTrailer(r.header["Trailer"]); err != nil {
			return err
		}
	} else {
		// Announced trailers without a chunked body: none can come.
		delete(r.header, "Trailer")
	}
	return nil
}

// egressCheckTrailer refuses trailer fields that would change the
// framing after the fact.
func egressCheckTrailer(vv []string) error {
	for _, v := range vv {
		for _, k := range strings.Split(v, ",") {
			switch textproto.CanonicalMIMEHeaderKey(textproto.TrimString(k)) {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return fmt.Errorf("bad trailer key %q", k)
			}
		}
	}
	return nil
}

// egressHopHeaders are the header fields that concern the connection to
// the proxy, not the destination.
var egressHopHeaders = []string{"Proxy-Connection", "Proxy-Authorization", "Connection", "Keep-Alive"}

// writeOrigin writes the request to the destination in origin form, with
// the host that was checked as its Host (whatever Host the client sent),
// "Connection: close" so that the connection carries this one request,
// and the body framed as it was read.
func (r *egressRequest) writeOrigin(w *bufio.Writer, body *bufio.Reader) error {
	for _, h := range egressHopHeaders {
		delete(r.header, h)
	}
	fmt.Fprintf(w, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", r.method, r.url.RequestURI(), r.url.Host)
	switch {
	case r.chunked:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	case r.length > 0:
		fmt.Fprintf(w, "Content-Length: %d\r\n", r.length)
	}
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		if k != "Host" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.header[k] {
			fmt.Fprintf(w, "%s: %s\r\n", k, textproto.TrimString(v))
		}
	}
	w.WriteString("\r\n")
	switch {
	case r.chunked:
		if err := egressCopyChunked(w, body); err != nil {
			return err
		}
	case r.length > 0:
		if _, err := io.CopyN(w, body, r.length); err != nil {
			return err
		}
	}
	return w.Flush()
}

// egressCopyChunked copies a chunked body chunk by chunk, reading each
// size and writing it afresh, and then its trailer, so that what the
// destination reads ends exactly where the proxy's reading did.
func egressCopyChunked(w *bufio.Writer, br *bufio.Reader) error {
	tp := textproto.NewReader(br)
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(line, ";") // chunk extensions are dropped
		n, err := strconv.ParseUint(textproto.TrimString(size), 16, 63)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		fmt.Fprintf(w, "%x\r\n", n)
		if n == 0 {
			break
		}
		if _, err := io.CopyN(w, br, int64(n)); err != nil {
			return err
		}
		if end, err := tp.ReadLine(); err != nil || end != "" {
			return errors.New("chunk not followed by CRLF")
		}
		w.WriteString("\r\n")
	}
	trailer, err := tp.ReadMIMEHeader()
	if err != nil {
		return err
	}
	for k, vv := range trailer {
		for _, v := range vv {
			fmt.Fprintf(w, "%s: %s\r\n", k, v)
		}
	}
	_, err = w.WriteString("\r\n")
	return err
}

// egressVersion parses "HTTP/major.minor" with one digit each, as
// net/http does.
func egressVersion(v string) (major, minor int, ok bool) {
	switch v {
	case "HTTP/1.1":
		return 1, 1, true
	case "HTTP/1.0":
		return 1, 0, true
	}
	if len(v) != len("HTTP/X.Y") || !strings.HasPrefix(v, "HTTP/") || v[6] != '.' {
		return 0, 0, false
	}
	if v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

// egressToken reports whether s is an HTTP token (RFC 9110, 5.6.2).
func egressToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// egressStatusText is the reason of a status the proxy answers.
func egressStatusText(code int) string {
	switch code {
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 502:
		return "Bad Gateway"
	}
	return ""
}
