package profile

import (
	"fmt"
	"slices"
	"strings"
)

// checkShapes walks the decoded TOML against the schema: every key must be
// in the schema and every value must have the schema's TOML shape. Values
// that fail are marked bad so the section decoders skip them instead of
// reporting the same value twice.
func (d *fileDecoder) checkShapes(m map[string]any) {
	d.walkTable(m, "", "")
}

// walkTable checks the keys of table m found at path, whose schema key is
// schemaKey.
func (d *fileDecoder) walkTable(m map[string]any, path, schemaKey string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d.walkValue(m[k], joinKey(path, k), schemaKey, k)
	}
}

func (d *fileDecoder) walkValue(v any, path, parentSchema, k string) {
	doc := d.schemaFor(parentSchema, k)
	if doc == nil {
		d.unknownKey(path, parentPath(path), parentSchema, k)
		return
	}
	if msg := keyShapeMismatch(v, doc); msg != "" {
		d.bad[path] = true
		d.errorf(path, "%s", msg)
		return
	}
	switch doc.shape {
	case shapeTable:
		d.walkTable(v.(map[string]any), path, doc.Key)
	case shapeLimit:
		if t, ok := v.(map[string]any); ok {
			d.walkTable(t, path, doc.Key)
		}
	case shapeTables:
		for i, elem := range tableList(v) {
			ep := joinIndex(path, i)
			t, ok := elem.(map[string]any)
			if !ok {
				d.bad[ep] = true
				d.errorf(ep, "must be a table such as {%s}, not %s", exampleFields(doc.Key), typeName(elem))
				continue
			}
			d.walkTable(t, ep, doc.Key+"[]")
		}
	case shapeStrings, shapeInts:
		want := shapeString
		if doc.shape == shapeInts {
			want = shapeInt
		}
		for i, elem := range v.([]any) {
			if msg := shapeMismatch(elem, want); msg != "" {
				ep := joinIndex(path, i)
				d.bad[ep] = true
				d.errorf(ep, "%s", msg)
			}
		}
	}
}

// schemaFor finds the schema entry of key k under parentSchema: a fixed
// key, else the parent's "<placeholder>" entry.
func (d *fileDecoder) schemaFor(parentSchema, k string) *KeyDoc {
	full := k
	if parentSchema != "" {
		full = parentSchema + "." + k
	}
	if doc, ok := schemaIdx().byKey[full]; ok && !strings.ContainsAny(k, ".[<") {
		return doc
	}
	return schemaIdx().wildcard[parentSchema]
}

func (d *fileDecoder) unknownKey(path, parent, parentSchema, k string) {
	d.bad[path] = true
	where := ""
	switch {
	case strings.Contains(parentSchema, "<"):
		where = " in " + parent // "limits.nofile", not "limits.<resource>"
	case parentSchema != "":
		where = " in " + containerName(parentSchema)
	}
	names := childNames(parentSchema)
	msg := fmt.Sprintf("unknown key %s%s", quote(k), where)
	// Past a report's worth of errors the suggestion is left out: most
	// of these will not be shown, and a file of 100,000 unknown keys
	// would spend seconds on spelling (B14).
	if len(d.errs) >= maxErrors {
		d.errorf(path, "%s", msg)
		return
	}
	if s := suggest(k, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if len(names) > 0 {
		msg += "; valid keys are " + strings.Join(names, ", ")
	}
	d.errorf(path, "%s", msg)
}

// containerName renders a schema parent the way a user writes it:
// "[namespaces]", "[[mount]]", "[[identity.uid_map]]", "limits.<resource>".
func containerName(schemaKey string) string {
	if strings.HasSuffix(schemaKey, "[]") {
		return "[[" + strings.TrimSuffix(schemaKey, "[]") + "]]"
	}
	if doc := schemaIdx().byKey[schemaKey]; doc != nil && doc.shape == shapeTable {
		return "[" + schemaKey + "]"
	}
	return schemaKey
}

// exampleFields lists the keys of an array-of-tables element for a hint.
func exampleFields(schemaKey string) string {
	return strings.Join(childNames(schemaKey+"[]"), ", ")
}

// tableList returns the elements of an array of tables, which the TOML
// decoder gives as []map[string]any for [[x]] and []any for x = [{...}].
func tableList(v any) []any {
	switch t := v.(type) {
	case []map[string]any:
		out := make([]any, len(t))
		for i, m := range t {
			out[i] = m
		}
		return out
	case []any:
		return t
	}
	return nil
}

// shapeMismatch says how v differs from the wanted shape, or "".
func shapeMismatch(v any, want shape) string {
	switch want {
	case shapeString:
		if _, ok := v.(string); ok {
			return ""
		}
		return fmt.Sprintf("must be a string, not %s; write it in double quotes", typeName(v))
	case shapeBool:
		switch t := v.(type) {
		case bool:
			return ""
		case string:
			if t == "true" || t == "false" {
				return fmt.Sprintf("must be true or false, not a string; write %s without quotes", t)
			}
		}
		return fmt.Sprintf("must be true or false, not %s", typeName(v))
	case shapeInt:
		return intMismatch(v)
	case shapeStrings:
		switch v.(type) {
		case []any:
			return ""
		case string:
			return fmt.Sprintf("must be an array of strings; write [%s]", quote(v.(string)))
		}
		return fmt.Sprintf("must be an array of strings such as [\"a\", \"b\"], not %s", typeName(v))
	case shapeInts:
		switch v.(type) {
		case []any:
			return ""
		case int64:
			return fmt.Sprintf("must be an array of integers; write [%d]", v)
		}
		return fmt.Sprintf("must be an array of integers such as [3, 4], not %s", typeName(v))
	case shapeTable:
		if _, ok := v.(map[string]any); ok {
			return ""
		}
		return fmt.Sprintf("must be a table (a [section] with keys), not %s", typeName(v))
	case shapeTables:
		switch v.(type) {
		case []map[string]any, []any:
			return ""
		}
		return fmt.Sprintf("must be an array of tables (repeated [[section]] headers), not %s", typeName(v))
	case shapeIntOrString:
		switch t := v.(type) {
		case int64, string:
			return ""
		case float64:
			return fmt.Sprintf("must be an integer or a string, not a float (%v)", t)
		}
		return fmt.Sprintf("must be an integer or a string, not %s", typeName(v))
	case shapeLimit:
		switch v.(type) {
		case int64, string, map[string]any:
			return ""
		}
		return fmt.Sprintf(`must be an integer, "unlimited", a size string or {soft = ..., hard = ...}, not %s`, typeName(v))
	}
	return ""
}

func intMismatch(v any) string {
	switch t := v.(type) {
	case int64:
		return ""
	case float64:
		return fmt.Sprintf("must be an integer, not a float (%v)", t)
	case string:
		if lit, ok := tomlInteger(t); ok {
			return fmt.Sprintf("must be an integer, not a string; write %s without quotes", lit)
		}
	}
	return fmt.Sprintf("must be an integer, not %s", typeName(v))
}

// typeName names the TOML type of a decoded value, with an article.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case nil:
		return "nothing"
	}
	return "a date or time"
}
