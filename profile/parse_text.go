package profile

import "github.com/BurntSushi/toml"

// parseText decodes TOML text into its values and locates its keys.
func parseText(text string) (map[string]any, *locator, error) {
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
