package seccomp

// seccompCube is the set of argument values v with v & Mask == Value: what
// one masked-equality comparison in a seccomp rule matches.
type seccompCube struct {
	Mask, Value uint32
}

// seccompCover returns cubes whose union is exactly the values v with
// v & mask not in values: the "otherwise" side of a rule, which libseccomp
// cannot express directly (it has no masked not-equal, and it refuses two
// comparisons of one argument in a rule).
//
// It walks the bits of mask as a binary trie of the values: every branch
// that no value takes is a cube of the result. Bits on which all values
// agree come first, because there the walk does not fork: the complement
// of TIOCSTI and TIOCLINUX, which differ in three bits, takes 33 cubes
// rather than 34 or more.
func seccompCover(mask uint32, values []uint32) []seccompCube {
	var agree, differ []uint32
	for b := 31; b >= 0; b-- {
		bit := uint32(1) << b
		if mask&bit == 0 {
			continue
		}
		same := true
		for _, v := range values {
			if v&bit != values[0]&bit {
				same = false
			}
		}
		if same {
			agree = append(agree, bit)
		} else {
			differ = append(differ, bit)
		}
	}
	bits := append(agree, differ...)

	rest := make([]uint32, 0, len(values))
	for _, v := range values {
		rest = append(rest, v&mask)
	}
	var out []seccompCube
	var walk func(i int, c seccompCube, rest []uint32)
	walk = func(i int, c seccompCube, rest []uint32) {
		if len(rest) == 0 {
			out = append(out, c)
			return
		}
		if i == len(bits) {
			return // c is one of the values themselves
		}
		bit := bits[i]
		for _, side := range []uint32{0, bit} {
			var sub []uint32
			for _, v := range rest {
				if v&bit == side {
					sub = append(sub, v)
				}
			}
			walk(i+1, seccompCube{Mask: c.Mask | bit, Value: c.Value | side}, sub)
		}
	}
	walk(0, seccompCube{}, rest)
	return out
}
