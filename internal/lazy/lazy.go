// Package lazy holds values built on first use instead of at package init.
//
// Every launch starts the whole binary, and a table that only `explain`,
// an error message or one subcommand needs should cost the others nothing.
// sync.OnceValue would do, but calling it in a package-level declaration is
// itself work at init (it allocates its closures there). A Value is a plain
// composite literal whose Make is a function without captured variables,
// which the linker lays out as static data: nothing runs until Get.
package lazy

import "sync"

// Value is a T that Make builds on the first Get; later Gets return the
// same T. Make must not call Get on the same Value.
type Value[T any] struct {
	Make func() T
	once sync.Once
	v    T
}

// Get returns the value, building it on the first call. It is safe for
// concurrent use.
func (l *Value[T]) Get() T {
	l.once.Do(func() { l.v = l.Make() })
	return l.v
}
