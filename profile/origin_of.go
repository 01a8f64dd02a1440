package profile

import "strings"

// OriginOf returns where key was set, for a message about it: the line
// that set it; for a list ("identity.uid_map", "capabilities.keep"), its
// first entry; for a default, the profile's own file with no line. The
// validator and the compiler both point at lines through it, so a rule
// reports the same place wherever it is checked.
func (p *Profile) OriginOf(key string) Origin {
	if o, ok := p.Origins[key]; ok {
		return o
	}
	// Lists record each entry ("identity.uid_map[0]",
	// "capabilities.keep.CAP_NET_RAW"): point at the first.
	var first Origin
	for k, o := range p.Origins {
		if strings.HasPrefix(k, key+"[") || strings.HasPrefix(k, key+".") {
			// The command line's flags (a layer of its own) name a
			// whole group only when no file does.
			cmdline, firstCmdline := o.File == CommandLineFile, first.File == CommandLineFile
			if first.File == "" || (firstCmdline && !cmdline) ||
				(cmdline == firstCmdline && (o.Line < first.Line || (o.Line == first.Line && o.Col < first.Col))) {
				first = o
			}
		}
	}
	if first.File != "" {
		return first
	}
	for i := len(p.Files) - 1; i >= 0; i-- {
		if p.Files[i] != CommandLineFile {
			return Origin{File: p.Files[i]}
		}
	}
	return Origin{}
}
