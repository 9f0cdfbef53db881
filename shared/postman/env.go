package postman

import "fmt"

// ParseEnvironment reads a Postman environment export
// ({"name", "values": [{"key", "value", "enabled", "type"}]}), also inside
// the Postman API wrapper {"environment": {...}}. A globals export has the
// same shape and reads the same way. Variables with "enabled": false (or
// "disabled": true) are returned with Disabled set.
//
// Errors: *SyntaxError when data is not JSON, *FormatError when it is not
// an environment.
func ParseEnvironment(data []byte) (name string, vars []Variable, err error) {
	r := newReader(data)
	r.skip()
	r.end()
	if r.err != nil {
		return "", nil, r.err
	}
	top, err := decodeObject(data, "the top-level value")
	if err != nil {
		return "", nil, envError(err)
	}
	if !present(top["values"]) && present(top["environment"]) {
		if top, err = decodeObject(top["environment"], `"environment"`); err != nil {
			return "", nil, envError(err)
		}
	}
	if !present(top["values"]) {
		return "", nil, &FormatError{Msg: `not a Postman environment: no "values"`}
	}
	if firstByte(top["values"]) != '[' {
		return "", nil, &FormatError{Msg: fmt.Sprintf("not a Postman environment: values is %s, want an array", jsonKind(top["values"]))}
	}
	name = flexStringOf(top["name"]).S
	var skipped []string
	for _, v := range newReader(top["values"]).variables(&skipped, "value") {
		if vv, ok := v.variable(); ok {
			vars = append(vars, vv)
		}
	}
	return name, vars, nil
}

func envError(err error) error {
	if fe, ok := err.(*FormatError); ok {
		return &FormatError{Msg: "not a Postman environment" + fe.Msg[len("not a Postman collection"):]}
	}
	return err
}
