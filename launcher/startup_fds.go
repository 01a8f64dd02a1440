package launcher

/*
#include "startup_fds.h"
*/
import "C"

// InheritedFD reports whether fd was open when the process started, before
// the launcher or the Go runtime opened descriptors of their own; known is
// false when that could not be recorded (no /proc). A command-line
// launcher checks process.pass_fds with it, so that a profile's fd number
// can only ever name a descriptor of the caller's (D2).
func InheritedFD(fd int) (open, known bool) {
	switch C.sbx_startup_fd(C.int(fd)) {
	case 1:
		return true, true
	case 0:
		return false, true
	}
	return false, false
}
