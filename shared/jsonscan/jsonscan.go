// Package jsonscan is a small pull tokenizer for JSON that keeps raw byte
// offsets and the JSON path of every value, without building values. Schema
// inference and sensitive-data scanning use it on bodies of any size.
//
// The package is pure.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Kind is a token kind.
type Kind uint8

// Token kinds.
const (
	BeginObject Kind = iota + 1
	EndObject
	BeginArray
	EndArray
	// Key is an object member name; its value follows.
	Key
	String
	Number
	True
	False
	Null
)

// Token is one JSON token. For Key and String, Start:End is the content
// between the quotes (raw, escapes not decoded) and Escaped says whether it
// holds a backslash; for other kinds it is the token itself.
type Token struct {
	Kind       Kind
	Start, End int
	Escaped    bool
}

// IsValue reports whether the token starts or is a value.
func (t Token) IsValue() bool { return t.Kind != EndObject && t.Kind != EndArray && t.Kind != Key }

// ErrSyntax is wrapped by every tokenizing error.
var ErrSyntax = errors.New("invalid JSON")

// SyntaxError says where the input stopped being JSON.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

func (e *SyntaxError) Unwrap() error { return ErrSyntax }

type frame struct {
	array bool
	// key is the raw current member name (objects only).
	key     []byte
	escaped bool
	// state: 0 expecting first key/value or end, 1 expecting comma or end,
	// 2 expecting value after colon (objects), 3 expecting key after comma.
	state uint8
}

// Decoder tokenizes one JSON document.
type Decoder struct {
	data  []byte
	pos   int
	stack []frame
	done  bool // the top-level value is complete
	// openArray: the last token was BeginArray (its frame is not part of
	// its own path).
	openArray bool
}

// NewDecoder returns a decoder for data.
func NewDecoder(data []byte) *Decoder { return &Decoder{data: data} }

// Depth is the number of open objects and arrays.
func (d *Decoder) Depth() int { return len(d.stack) }

// Bytes returns data[t.Start:t.End].
func (d *Decoder) Bytes(t Token) []byte { return d.data[t.Start:t.End] }

// Text returns the token's text, with escapes decoded for keys and strings.
func (d *Decoder) Text(t Token) string {
	b := d.data[t.Start:t.End]
	if !t.Escaped {
		return string(b)
	}
	return unquote(b)
}

func unquote(b []byte) string {
	q := make([]byte, 0, len(b)+2)
	q = append(q, '"')
	q = append(q, b...)
	q = append(q, '"')
	var s string
	if json.Unmarshal(q, &s) != nil {
		return string(b)
	}
	return s
}

// Path returns the JSON path of the value the last token is in (or is):
// "$", "$.data[*].email", "$['odd key']". Array indexes are "[*]". For a
// Key token it is the path of the member's value.
func (d *Decoder) Path() string {
	var b strings.Builder
	b.WriteByte('$')
	n := len(d.stack)
	if d.openArray {
		n--
	}
	for i := range d.stack[:n] {
		f := &d.stack[i]
		if f.array {
			b.WriteString("[*]")
			continue
		}
		if f.key == nil {
			continue
		}
		name := string(f.key)
		if f.escaped {
			name = unquote(f.key)
		}
		writeMember(&b, name)
	}
	return b.String()
}

// Child returns the path of member name (or, with name "", of an array
// element) under path.
func Child(path, name string, array bool) string {
	var b strings.Builder
	b.WriteString(path)
	if array {
		b.WriteString("[*]")
	} else {
		writeMember(&b, name)
	}
	return b.String()
}

func writeMember(b *strings.Builder, name string) {
	if isIdent(name) {
		b.WriteByte('.')
		b.WriteString(name)
		return
	}
	b.WriteString("['")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), "'", `\'`))
	b.WriteString("']")
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '$' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func (d *Decoder) fail(msg string) (Token, error) {
	return Token{}, &SyntaxError{Offset: d.pos, Msg: msg}
}

func (d *Decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// Next returns the next token; at the end of a complete document it
// returns a zero Token and a nil error (Kind 0). Anything but whitespace
// after the document is an error.
func (d *Decoder) Next() (Token, error) {
	t, err := d.next()
	d.openArray = t.Kind == BeginArray
	return t, err
}

func (d *Decoder) next() (Token, error) {
	d.skipSpace()
	if d.done {
		if d.pos < len(d.data) {
			return d.fail("data after the top-level value")
		}
		return Token{}, nil
	}
	if d.pos >= len(d.data) {
		return d.fail("unexpected end of input")
	}
	if n := len(d.stack); n > 0 {
		f := &d.stack[n-1]
		c := d.data[d.pos]
		switch f.state {
		case 0, 1:
			closer := byte('}')
			if f.array {
				closer = ']'
			}
			if c == closer {
				d.pos++
				d.stack = d.stack[:n-1]
				d.afterValue()
				if f.array {
					return Token{Kind: EndArray, Start: d.pos - 1, End: d.pos}, nil
				}
				return Token{Kind: EndObject, Start: d.pos - 1, End: d.pos}, nil
			}
			if f.state == 1 {
				if c != ',' {
					return d.fail("expected ',' or '" + string(closer) + "'")
				}
				d.pos++
				d.skipSpace()
				if d.pos >= len(d.data) {
					return d.fail("unexpected end of input")
				}
				if !f.array {
					f.state = 3
					return d.key(f)
				}
			} else if !f.array {
				return d.key(f)
			}
		case 3:
			return d.key(f)
		}
		// An array element or a member value follows.
		f.state = 1
	}
	return d.value()
}

// key reads a member name and its colon.
func (d *Decoder) key(f *frame) (Token, error) {
	if d.data[d.pos] != '"' {
		return d.fail("expected a member name")
	}
	t, err := d.str()
	if err != nil {
		return t, err
	}
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return d.fail("expected ':'")
	}
	d.pos++
	f.key, f.escaped = d.data[t.Start:t.End], t.Escaped
	f.state = 2
	t.Kind = Key
	return t, nil
}

// afterValue marks the enclosing container (or the document) as having a
// complete value.
func (d *Decoder) afterValue() {
	if n := len(d.stack); n > 0 {
		d.stack[n-1].state = 1
	} else {
		d.done = true
	}
}

func (d *Decoder) value() (Token, error) {
	start := d.pos
	c := d.data[d.pos]
	switch {
	case c == '{' || c == '[':
		d.pos++
		d.stack = append(d.stack, frame{array: c == '['})
		if c == '[' {
			return Token{Kind: BeginArray, Start: start, End: d.pos}, nil
		}
		return Token{Kind: BeginObject, Start: start, End: d.pos}, nil
	case c == '"':
		t, err := d.str()
		if err == nil {
			t.Kind = String
			d.afterValue()
		}
		return t, err
	case c == '-' || '0' <= c && c <= '9':
		for d.pos < len(d.data) && strings.IndexByte("+-.eE0123456789", d.data[d.pos]) >= 0 {
			d.pos++
		}
		if !validNumber(d.data[start:d.pos]) {
			d.pos = start
			return d.fail("invalid number")
		}
		d.afterValue()
		return Token{Kind: Number, Start: start, End: d.pos}, nil
	}
	for _, lit := range []struct {
		s string
		k Kind
	}{{"true", True}, {"false", False}, {"null", Null}} {
		if bytes.HasPrefix(d.data[d.pos:], []byte(lit.s)) {
			d.pos += len(lit.s)
			d.afterValue()
			return Token{Kind: lit.k, Start: start, End: d.pos}, nil
		}
	}
	return d.fail("unexpected character " + strconv.QuoteRune(rune(c)))
}

// str reads a string at d.pos (on its opening quote).
func (d *Decoder) str() (Token, error) {
	start := d.pos + 1
	i := start
	escaped := false
	for {
		j := bytes.IndexByte(d.data[i:], '"')
		if j < 0 {
			return d.fail("unterminated string")
		}
		end := i + j
		if k := bytes.IndexByte(d.data[i:end], '\\'); k >= 0 {
			escaped = true
			// Count the backslashes right before the quote.
			n := 0
			for p := end - 1; p >= start && d.data[p] == '\\'; p-- {
				n++
			}
			if n%2 == 1 {
				i = end + 1
				continue
			}
		}
		d.pos = end + 1
		return Token{Start: start, End: end, Escaped: escaped}, nil
	}
}

// validNumber checks the JSON number grammar.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	if b[i] == '0' {
		i++
	} else if '1' <= b[i] && b[i] <= '9' {
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		n := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == n {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		n := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == n {
			return false
		}
	}
	return i == len(b)
}

// Skip consumes the rest of the value that tok began (a BeginObject or
// BeginArray); for any other token it does nothing. It does not recurse.
func (d *Decoder) Skip(tok Token) error {
	if tok.Kind != BeginObject && tok.Kind != BeginArray {
		return nil
	}
	depth := len(d.stack)
	for len(d.stack) >= depth {
		if _, err := d.Next(); err != nil {
			return err
		}
	}
	return nil
}

// Valid reports whether data is one JSON document (like json.Valid).
func Valid(data []byte) bool {
	d := NewDecoder(data)
	for {
		t, err := d.Next()
		if err != nil {
			return false
		}
		if t.Kind == 0 {
			return true
		}
	}
}

// LooksLikeJSON reports whether data starts, after whitespace, with '{' or
// '[' — a cheap test before tokenizing a body whose content type is unknown.
func LooksLikeJSON(data []byte) bool {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}
