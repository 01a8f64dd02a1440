package compile

import "fmt"

// X11Socket is the host socket of a local X display named by $DISPLAY
// (":N", ":N.S" or "unix:N"), the one desktop.x11 binds; `sandbox doctor`
// asks the same question the compiler does through it.
func X11Socket(display string) (string, error) {
	n, err := x11DisplayNumber(display)
	if err != nil {
		return "", err
	}
	return x11SocketOf(n), nil
}

// x11SocketOf is the socket of local display n.
func x11SocketOf(n int) string {
	return fmt.Sprintf("/tmp/.X11-unix/X%d", n)
}
