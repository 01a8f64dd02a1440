package egress

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// egressRequests are requests a client could send the proxy, well formed
// or not.
var egressRequests = []string{
	"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	"CONNECT example.com:443 HTTP/1.0\r\n\r\n",
	"CONNECT /rpc HTTP/1.1\r\n\r\n",
	"CONNECT %zz:443 HTTP/1.1\r\n\r\n",
	"GET http://example.com/a?b=c HTTP/1.1\r\nHost: other.test\r\n\r\n",
	"GET http://example.com/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"POST http://example.com/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
	"POST http://example.com/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
	"POST http://example.com/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length:  3\r\n\r\nabc",
	"POST http://example.com/ HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
	"POST http://example.com/ HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
	"POST http://example.com/ HTTP/1.1\r\nContent-Length: \r\n\r\n",
	"POST http://example.com/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
	"POST http://example.com/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST http://example.com/ HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
	"POST http://example.com/ HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n",
	"POST http://example.com/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
	"GET http://example.com/ HTTP/2.0\r\n\r\n",
	"GET http://example.com/ HTTP/1.12\r\n\r\n",
	"GET http://example.com/ HTTPS/1.1\r\n\r\n",
	"G(T http://example.com/ HTTP/1.1\r\n\r\n",
	"GET http://example.com/\r\n\r\n",
	"GET http://example.com/ HTTP/1.1\r\nBad Key: x\r\n\r\n",
	"GET http://example.com/ HTTP/1.1\r\nKey: a\x00b\r\n\r\n",
	"GET  http://example.com/ HTTP/1.1\r\n\r\n",
	"GET http://exa mple.com/ HTTP/1.1\r\n\r\n",
	"GET http://example.com/ HTTP/1.1\r\n",
	"",
}

// TestEgressRequestAcceptsWhatNetHTTPAccepts: the proxy's reader refuses
// exactly the requests net/http's reader refuses, so that reading them
// itself loosened nothing.
func TestEgressRequestAcceptsWhatNetHTTPAccepts(t *testing.T) {
	for _, raw := range egressRequests {
		_, herr := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		_, err := readEgressRequest(bufio.NewReader(strings.NewReader(raw)))
		if (herr == nil) != (err == nil) {
			t.Errorf("%q: net/http says %v, the proxy says %v", raw, herr, err)
		}
	}
}

// TestEgressRequestForwarded: a plain HTTP request reaches the destination
// in origin form, with the checked host as Host whatever the client sent,
// without the proxy's own fields, and with exactly its own body: what the
// client sent after it (a second request to another host, here) is not
// forwarded.
func TestEgressRequestForwarded(t *testing.T) {
	cases := []struct{ in, want string }{
		{"GET http://good.test:8080/p?q=1 HTTP/1.1\r\nHost: evil.test\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: x\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\nUser-Agent: curl\r\nAccept: */*\r\n\r\n" +
			"GET http://evil.test/ HTTP/1.1\r\n\r\n",
			"GET /p?q=1 HTTP/1.1\r\nHost: good.test:8080\r\nConnection: close\r\nAccept: */*\r\nUser-Agent: curl\r\n\r\n"},
		{"POST http://good.test/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET http://evil.test/ HTTP/1.1\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: good.test\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"},
		{"POST http://good.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\nTrailer: X-Sum\r\n\r\n" +
			"3;ext=1\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\nGET http://evil.test/ HTTP/1.1\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: good.test\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
				"3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n"},
		{"GET http://good.test/ HTTP/1.1\r\nTrailer: X-Sum\r\n\r\n",
			"GET / HTTP/1.1\r\nHost: good.test\r\nConnection: close\r\n\r\n"},
	}
	for _, c := range cases {
		br := bufio.NewReader(strings.NewReader(c.in))
		r, err := readEgressRequest(br)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		var out bytes.Buffer
		if err := r.writeOrigin(bufio.NewWriter(&out), br); err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if out.String() != c.want {
			t.Errorf("%q forwarded as\n%q, want\n%q", c.in, out.String(), c.want)
		}
	}
}

// TestEgressRequestBadChunks: a chunked body whose framing is broken is
// not forwarded past the break.
func TestEgressRequestBadChunks(t *testing.T) {
	for _, body := range []string{"zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcdef\r\n0\r\n\r\n", "3\r\nab"} {
		in := "POST http://good.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body
		br := bufio.NewReader(strings.NewReader(in))
		r, err := readEgressRequest(br)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var out bytes.Buffer
		if err := r.writeOrigin(bufio.NewWriter(&out), br); err == nil {
			t.Errorf("%q: forwarded without an error as %q", in, out.String())
		}
	}
}
