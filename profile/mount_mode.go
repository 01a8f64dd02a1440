package profile

// Perm is the permission bits a tmpfs root, a dir or a file entry gets:
// the profile's mode, or the type's default (defaultMode), which the
// decoder has already filled in for every entry a file wrote. The
// compiler asks here rather than keeping defaults of its own, so the
// documented default and the one applied cannot drift apart.
func (m Mount) Perm() uint32 {
	if m.Mode != nil {
		return *m.Mode
	}
	mode, _ := defaultMode(m.Type)
	return mode
}
