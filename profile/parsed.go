package profile

import "github.com/BurntSushi/toml"

//go:generate go test -run ^TestShippedParsed$ -update-parsed

// The TOML decoder takes some 0.4 ms for base.toml, the layer under every
// shipped profile: half of what loading a profile costs, and a twentieth
// of a whole launch. base.toml and minimal.toml are therefore decoded
// ahead of time (parsed_data.go, written by TestShippedParsed
// -update-parsed): a file whose text is exactly one of them, built in or
// installed, gets its values and key positions from there, built afresh
// for each call. Any other text, an edited copy included, is decoded as
// usual. TestShippedParsed checks that the stored results are what
// decoding the shipped texts gives, and fails until they are rewritten
// after an edit.

// parseText decodes TOML text into its values and locates its keys.
func parseText(text string) (map[string]any, *locator, error) {
	if raw, loc, ok := shippedParsed(text); ok {
		return raw, loc, nil
	}
	// Located first: the locator stops at the first place nested
	// deeper than any profile is, before the decoder spends the square of
	// that depth on it (B14).
	loc := locate(text)
	if loc.deep != nil {
		return nil, loc, loc.deep
	}
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		return nil, nil, err
	}
	return raw, loc, nil
}

// parsedLocator is a locator with its positions given.
func parsedLocator(text string, pos, vpos map[string]int) *locator {
	l := &locator{src: text, pos: pos, vpos: vpos}
	l.lineStarts = append(l.lineStarts, 0)
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			l.lineStarts = append(l.lineStarts, i+1)
		}
	}
	return l
}
