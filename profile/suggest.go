package profile

import "strings"

// suggest returns the candidate a user most likely meant by name, or ""
// when none is close. It tries, in order: a match ignoring case, the
// closest by edit distance (within a third of the length), and a candidate
// that is one "_"-separated part of name ("tmpfs_size" -> "size").
func suggest(name string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
	}
	if len(name) > 64 {
		return "" // nothing anyone typed by mistake; not worth the work
	}
	best, bestDist := "", 0
	limit := max(1, min(3, len(name)/3))
	for _, c := range candidates {
		if abs(len(c)-len(name)) > limit {
			continue // the distance is at least the difference in length
		}
		d := levenshtein(strings.ToLower(name), strings.ToLower(c))
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	parts := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for _, c := range candidates {
		if len(c) < 3 {
			continue
		}
		for _, p := range parts {
			if p == strings.ToLower(c) && len(c) > len(best) {
				best = c
			}
		}
		// "pass_fd" -> "pass_fds", "no_new_priv" -> "no_new_privs".
		lc := strings.ToLower(c)
		if len(name) >= 4 && (strings.HasPrefix(lc, strings.ToLower(name)) || strings.HasSuffix(lc, strings.ToLower(name))) && len(c) > len(best) {
			best = c
		}
	}
	return best
}

// levenshtein is the edit distance between a and b, in bytes.
func levenshtein(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		// Absurd keys get no suggestion rather than a quadratic cost.
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean is "; did you mean \"x\"?" or "".
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return `; did you mean "` + s + `"?`
	}
	return ""
}

// suggestOr is "; did you mean \"x\"?" when a candidate is close, else
// "; " + fallback, which should say what to write.
func suggestOr(name string, candidates []string, fallback string) string {
	if s := didYouMean(name, candidates); s != "" {
		return s
	}
	return "; " + fallback
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
