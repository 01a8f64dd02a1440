package main

import (
	"fmt"
	"os"
	"time"
)

// benchID tells this benchmark's runs from those of any earlier one: a
// value a previous benchmark used could still have its plan in the cache,
// and a run that found it would be timed as a cache hit.
var benchID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())

// runValue is the value of a varied variable for run number run (-1 for
// the runs that only check a command works), different for every run of
// every benchmark.
func runValue(run int) string {
	return fmt.Sprintf("%s-%d", benchID, run)
}
