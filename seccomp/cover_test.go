package seccomp

import (
	"math/rand"
	"testing"
)

// seccompCover must give exactly the complement: compare with the
// definition on random values and on every value one or two bits away from
// an excluded one, with random high words.
func TestSeccompCover(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, tc := range []struct {
		mask     uint32
		values   []uint32
		maxCubes int
	}{
		{0xffffffff, []uint32{scTIOCSTI, scTIOCLINUX}, 33},
		{0xffffffff, []uint32{0, 0xffffffff}, 62},
		{seccompCloneNamespaceFlags, []uint32{0}, 7},
		{0xffffffff, []uint32{scTIOCSTI}, 32},
		{0x0f0, []uint32{0x10, 0x20, 0x30}, 64},
	} {
		cubes := seccompCover(tc.mask, tc.values)
		if len(cubes) > tc.maxCubes {
			t.Errorf("cover of %#x outside %#x: %d cubes, want at most %d", tc.mask, tc.values, len(cubes), tc.maxCubes)
		}
		m := &seccompArgMatch{Mask: tc.mask, Values: tc.values, Outside: true}
		in := func(v uint32) bool {
			for _, c := range cubes {
				if v&c.Mask == c.Value {
					return true
				}
			}
			return false
		}
		var probes []uint32
		for i := 0; i < 20000; i++ {
			probes = append(probes, rng.Uint32())
		}
		for _, v := range tc.values {
			probes = append(probes, v)
			for i := 0; i < 32; i++ {
				for j := i; j < 32; j++ {
					probes = append(probes, v^(1<<i)^(1<<j))
				}
			}
		}
		for _, v := range probes {
			hi := uint64(rng.Uint32()) << 32
			if got, want := in(v), m.matches(hi|uint64(v)); got != want {
				t.Fatalf("cover of %#x outside %#x: value %#x covered=%v, want %v", tc.mask, tc.values, v, got, want)
			}
		}
	}
}
