package postman

import (
	"encoding/json"
	"errors"
	"fmt"
)

// UnmarshalJSON methods let encoding/json (used for the small v1
// documents) decode the shared shapes with the same rules as the reader.

// shapeError is a value of an unexpected kind, reported by UnmarshalJSON.
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

// done finishes a reader used by an UnmarshalJSON method.
func (r *reader) done(sh *shape) error {
	r.end()
	if r.err != nil {
		return r.err
	}
	if sh != nil && sh.msg != "" {
		return &shapeError{msg: sh.msg}
	}
	return nil
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	r := newReader(b)
	*f = r.flex()
	return r.done(nil)
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	r := newReader(b)
	*f = r.flexBool()
	return r.done(nil)
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	r := newReader(b)
	*f = r.flexInt()
	return r.done(nil)
}

func (h *headerList) UnmarshalJSON(b []byte) error {
	r := newReader(b)
	var sh shape
	*h = r.headers(&sh, "")
	return r.done(&sh)
}

func (u *urlJSON) UnmarshalJSON(b []byte) error {
	r := newReader(b)
	var sh shape
	*u = r.url(&sh, "")
	return r.done(&sh)
}

func (a *authJSON) UnmarshalJSON(b []byte) error {
	r := newReader(b)
	var sh shape
	if v := r.auth(&sh, ""); v != nil {
		*a = *v
	} else {
		*a = authJSON{}
	}
	return r.done(&sh)
}

// describeDecodeError turns an error of json.Unmarshal into a short
// sentence about the value named prefix.
func describeDecodeError(prefix string, err error) string {
	var se *shapeError
	if errors.As(err, &se) {
		return prefix + se.msg
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := prefix
		if te.Field != "" {
			field += "." + te.Field
		}
		return fmt.Sprintf("%s is %s", field, article(te.Value))
	}
	return prefix + ": " + err.Error()
}

func article(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "":
		return "of the wrong type"
	}
	return "a " + kind
}

// firstByte returns the first non-space byte of b, 0 if none.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// jsonKind names the JSON kind of b.
func jsonKind(b []byte) string {
	switch firstByte(b) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "empty"
	}
	return "a number"
}

// unquote decodes a JSON string literal.
func unquote(b []byte) (string, error) {
	r := newReader(b)
	if r.peek() != '"' {
		return "", &shapeError{msg: "not a string"}
	}
	s := r.str()
	return s, r.done(nil)
}

type rawObject = map[string]json.RawMessage

// decodeObject decodes a JSON object into its raw members.
func decodeObject(raw json.RawMessage, what string) (rawObject, error) {
	if firstByte(raw) != '{' {
		return nil, &FormatError{Msg: fmt.Sprintf("not a Postman collection: %s is %s, want an object", what, jsonKind(raw))}
	}
	var m rawObject
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("not a Postman collection: %s: %v", what, err)}
	}
	return m, nil
}

func (p *parser) warn(format string, args ...any) {
	p.coll.Warnings = append(p.coll.Warnings, fmt.Sprintf(format, args...))
}

func (p *parser) rawVariables(raw json.RawMessage, what string) []variableJSON {
	if !present(raw) {
		return nil
	}
	return newReader(raw).variables(&p.coll.Warnings, what)
}

func rawEvents(raw json.RawMessage) ([]eventJSON, bool) {
	if !present(raw) {
		return nil, true
	}
	return newReader(raw).events()
}
