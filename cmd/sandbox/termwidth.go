package main

import (
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// defaultWidth is the width of a terminal that does not say its size.
const defaultWidth = 80

// outputWidth is the width list and explain fit their lines to: the
// terminal's when w is one (TIOCGWINSZ), else $COLUMNS when it is set,
// else 80 on a terminal. Output to a pipe or a file without $COLUMNS is
// not wrapped (0): a script or grep then sees each line whole.
func outputWidth(w io.Writer) int {
	term := false
	if f, ok := w.(*os.File); ok {
		ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
		if err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
		term = err == nil
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if term {
		return defaultWidth
	}
	return 0
}
