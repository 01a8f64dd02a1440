package launcher

/*
#include "launcher_death.h"
*/
import "C"

import (
	"fmt"
	"sandbox/plan"
)

// runDieWithParent makes the launcher, and so the sandbox, end when the
// launcher's own parent dies (process.die_with_parent, L8;
// launcher_death.c). It runs before anything is started.
func runDieWithParent(p *plan.Plan) error {
	if !p.DieWithParent {
		return nil
	}
	if r, err := C.sbx_die_with_launcher_parent(); r < 0 {
		return fmt.Errorf("prctl PR_SET_PDEATHSIG for the launcher (process.die_with_parent): %w", err)
	}
	return nil
}
