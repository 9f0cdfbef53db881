package postman

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// reader is a small, strict, single-pass JSON reader over a byte slice.
//
// encoding/json validates the whole input before decoding it and decodes
// through reflection; on a 25 MiB collection that alone costs more than the
// parse budget on a small machine. The reader validates and decodes in one
// pass, finds string ends with bytes.IndexByte, and lets the decoders in
// decode.go be tolerant: a value of an unexpected kind is recorded and
// skipped instead of failing the whole document.
//
// It accepts exactly the JSON that encoding/json accepts (FuzzParse checks
// this against json.Valid), including invalid UTF-8 in strings, which it
// replaces with U+FFFD like encoding/json.
type reader struct {
	data []byte
	pos  int
	// err is the first syntax error; once set, every method returns zero
	// values without reading further.
	err *SyntaxError
	// kvScratch is reused by kvList (which never nests).
	kvScratch []kvJSON
	// itemEnds maps the offset of an "item" array to the offset just past
	// it (see skip); nil when not used.
	itemEnds map[int]int
}

func newReader(data []byte) *reader { return &reader{data: data} }

// ok reports whether no syntax error was met.
func (r *reader) ok() bool { return r.err == nil }

func (r *reader) fail(at int, msg string) {
	if r.err == nil {
		r.err = newSyntaxError(r.data, at, msg)
	}
	r.pos = len(r.data)
}

func (r *reader) failChar(context string) {
	if r.pos >= len(r.data) {
		r.fail(len(r.data), "unexpected end of JSON input")
		return
	}
	r.fail(r.pos, fmt.Sprintf("invalid character %s %s", quoteChar(r.data[r.pos]), context))
}

func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= utf8.RuneSelf {
		s = strconv.Quote(string([]byte{c}))
	}
	return "'" + s[1:len(s)-1] + "'"
}

func (r *reader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\r', '\n':
			r.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, 0 at the end or after
// an error.
func (r *reader) peek() byte {
	r.ws()
	if r.pos >= len(r.data) || r.err != nil {
		return 0
	}
	return r.data[r.pos]
}

// kind names the JSON kind of the value at the current position.
func (r *reader) kind() string {
	switch r.peek() {
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
	}
	return "a number"
}

// end checks that only white space follows the top-level value.
func (r *reader) end() {
	if r.err != nil {
		return
	}
	r.ws()
	if r.pos < len(r.data) {
		r.failChar("after top-level value")
	}
}

// object iterates over the members of the object at the current position
// (the caller has checked that one starts there). fn must consume the value.
// The key slice is only valid during the call.
func (r *reader) object(fn func(key []byte)) {
	r.pos++ // '{'
	if r.peek() == '}' {
		r.pos++
		return
	}
	for r.err == nil {
		if r.peek() != '"' {
			r.failChar("looking for beginning of object key string")
			return
		}
		key, _ := r.rawString(nil)
		if r.peek() != ':' {
			r.failChar("after object key")
			return
		}
		r.pos++
		r.ws()
		start := r.pos
		fn(key)
		if r.err != nil {
			return
		}
		if r.pos == start { // fn ignored the value
			r.skip()
		}
		switch r.peek() {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return
		default:
			r.failChar("after object key:value pair")
			return
		}
	}
}

// array iterates over the elements of the array at the current position.
// fn must consume the element.
func (r *reader) array(fn func(i int)) {
	r.pos++ // '['
	if r.peek() == ']' {
		r.pos++
		return
	}
	for i := 0; r.err == nil; i++ {
		r.ws()
		start := r.pos
		fn(i)
		if r.err != nil {
			return
		}
		if r.pos == start {
			r.skip()
		}
		switch r.peek() {
		case ',':
			r.pos++
		case ']':
			r.pos++
			return
		default:
			r.failChar("after array element")
			return
		}
	}
}

// str reads a string value (the caller has checked for '"').
func (r *reader) str() string {
	b, fresh := r.rawString(nil)
	if r.err != nil || len(b) == 0 {
		return ""
	}
	if fresh {
		// b was allocated for this string alone and is never written
		// again: share it instead of copying it.
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// rawString reads a string and returns its decoded bytes: a sub-slice of
// the input when it has no escapes and is valid UTF-8, else the bytes
// decoded into buf (or into a new slice when buf is nil; fresh is then
// true).
func (r *reader) rawString(buf []byte) (b []byte, fresh bool) {
	start := r.pos + 1
	end, plain := r.scanString()
	if r.err != nil {
		return nil, false
	}
	if plain {
		return r.data[start:end], false
	}
	if buf == nil {
		buf = make([]byte, 0, end-start+8)
		fresh = true
	}
	return decodeString(buf, r.data[start:end]), fresh
}

// scanString validates the string starting at r.pos (a '"') and moves past
// it. end is the index of the closing quote; plain reports that the content
// needs no decoding (no escapes, valid UTF-8).
func (r *reader) scanString() (end int, plain bool) {
	data := r.data
	i := r.pos + 1
	plain = true
	for {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			q = len(data) - i
		}
		seg := data[i : i+q]
		k := bytes.IndexByte(seg, '\\')
		if k >= 0 {
			seg = seg[:k]
		}
		if !r.checkSegment(i, seg) {
			return 0, false
		}
		if !utf8.Valid(seg) {
			plain = false
		}
		if k < 0 {
			if i+q >= len(data) {
				r.fail(len(data), "unexpected end of JSON input")
				return 0, false
			}
			r.pos = i + q + 1
			return i + q, plain
		}
		// an escape at i+k
		plain = false
		e := i + k + 1
		if e >= len(data) {
			r.fail(len(data), "unexpected end of JSON input")
			return 0, false
		}
		switch data[e] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i = e + 1
		case 'u':
			if _, ok := r.hex4(e + 1); !ok {
				return 0, false
			}
			i = e + 5
		default:
			r.fail(e, fmt.Sprintf("invalid character %s in string escape code", quoteChar(data[e])))
			return 0, false
		}
	}
}

// checkSegment rejects control characters in an unescaped run of a string.
func (r *reader) checkSegment(at int, seg []byte) bool {
	for k, c := range seg {
		if c < 0x20 {
			r.fail(at+k, fmt.Sprintf("invalid character %s in string literal", quoteChar(c)))
			return false
		}
	}
	return true
}

// decodeString decodes the validated content of a JSON string into buf,
// replacing invalid UTF-8 and unpaired surrogates with U+FFFD like
// encoding/json.
func decodeString(buf, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			e := s[i+1]
			switch e {
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				rr := hexRune(s[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(rr) {
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hexRune(s[i+2:i+6])); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							i += 6
							continue
						}
					}
					rr = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, rr)
				continue
			default: // '"', '\\', '/'
				buf = append(buf, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			rr, size := utf8.DecodeRune(s[i:])
			if rr == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, s[i:i+size]...)
			}
			i += size
		}
	}
	return buf
}

func hexRune(h []byte) rune {
	var v rune
	for _, c := range h {
		v <<= 4
		switch {
		case c <= '9':
			v |= rune(c - '0')
		case c >= 'a':
			v |= rune(c - 'a' + 10)
		default:
			v |= rune(c - 'A' + 10)
		}
	}
	return v
}

func (r *reader) hex4(at int) (rune, bool) {
	if at+4 > len(r.data) {
		for k := at; k < len(r.data); k++ {
			if !isHex(r.data[k]) {
				r.fail(k, fmt.Sprintf("invalid character %s in \\u hexadecimal character escape", quoteChar(r.data[k])))
				return 0, false
			}
		}
		r.fail(len(r.data), "unexpected end of JSON input")
		return 0, false
	}
	var v rune
	for k := at; k < at+4; k++ {
		c := r.data[k]
		if !isHex(c) {
			r.fail(k, fmt.Sprintf("invalid character %s in \\u hexadecimal character escape", quoteChar(c)))
			return 0, false
		}
		v <<= 4
		switch {
		case c <= '9':
			v |= rune(c - '0')
		case c >= 'a':
			v |= rune(c - 'a' + 10)
		default:
			v |= rune(c - 'A' + 10)
		}
	}
	return v, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// literal reads a number, true, false or null and returns its bytes.
func (r *reader) literal() []byte {
	start := r.pos
	data := r.data
	switch c := r.peek(); c {
	case 't':
		r.word("true")
	case 'f':
		r.word("false")
	case 'n':
		r.word("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			r.number()
		} else {
			r.failChar("looking for beginning of value")
		}
	}
	if r.err != nil {
		return nil
	}
	return data[start:r.pos]
}

func (r *reader) word(w string) {
	for k := 0; k < len(w); k++ {
		if r.pos >= len(r.data) {
			r.fail(len(r.data), "unexpected end of JSON input")
			return
		}
		if r.data[r.pos] != w[k] {
			r.failChar(fmt.Sprintf("in literal %s (expecting %s)", w, quoteChar(w[k])))
			return
		}
		r.pos++
	}
}

func (r *reader) number() {
	d := r.data
	n := len(d)
	i := r.pos
	if d[i] == '-' {
		i++
	}
	digits := func(what string) bool {
		if i >= n {
			r.fail(n, "unexpected end of JSON input")
			return false
		}
		if d[i] < '0' || d[i] > '9' {
			r.pos = i
			r.failChar(what)
			return false
		}
		for i < n && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return true
	}
	if i >= n {
		r.fail(n, "unexpected end of JSON input")
		return
	}
	switch {
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		for i < n && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	default:
		r.pos = i
		r.failChar("in numeric literal")
		return
	}
	if i < n && d[i] == '.' {
		i++
		if !digits("after decimal point in numeric literal") {
			return
		}
	}
	if i < n && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < n && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits("in exponent of numeric literal") {
			return
		}
	}
	r.pos = i
}

// skip reads and validates any value, without recursion. When the reader
// has an itemEnds memo, skip records where every array that is the value of
// an "item" member ends, so that later skips of those arrays are free.
func (r *reader) skip() {
	type frame struct {
		kind  byte
		start int // offset of '[' for an "item" array, else -1
	}
	var stack []frame
	itemKey := false // the member key just read was "item"
	for r.err == nil {
		// a value
		switch r.peek() {
		case '{':
			itemKey = false
			r.pos++
			if r.peek() == '}' {
				r.pos++
				break
			}
			stack = append(stack, frame{'{', -1})
			if itemKey = r.memberKey(); r.err != nil {
				return
			}
			continue
		case '[':
			start := -1
			if itemKey && r.itemEnds != nil {
				if end, ok := r.itemEnds[r.pos]; ok {
					r.pos = end
					itemKey = false
					break
				}
				if len(r.itemEnds) < maxItemEnds {
					start = r.pos
				}
			}
			itemKey = false
			r.pos++
			if r.peek() == ']' {
				r.pos++
				break
			}
			stack = append(stack, frame{'[', start})
			continue
		case '"':
			r.scanString()
		case 0:
			if r.err == nil {
				r.fail(len(r.data), "unexpected end of JSON input")
			}
			return
		default:
			r.literal()
		}
		itemKey = false
		// after a value: close containers or move to the next element
		for r.err == nil {
			if len(stack) == 0 {
				return
			}
			top := stack[len(stack)-1]
			c := r.peek()
			if c == ',' {
				r.pos++
				if top.kind == '{' {
					if itemKey = r.memberKey(); r.err != nil {
						return
					}
				}
				break
			}
			if (top.kind == '{' && c == '}') || (top.kind == '[' && c == ']') {
				r.pos++
				if top.start >= 0 {
					r.itemEnds[top.start] = r.pos
				}
				stack = stack[:len(stack)-1]
				continue
			}
			if top.kind == '{' {
				r.failChar("after object key:value pair")
			} else {
				r.failChar("after array element")
			}
			return
		}
	}
}

// maxItemEnds bounds the itemEnds memo.
const maxItemEnds = 1 << 17

// memberKey reads `"key" :` inside skip and reports whether the key is
// "item".
func (r *reader) memberKey() bool {
	if r.peek() != '"' {
		r.failChar("looking for beginning of object key string")
		return false
	}
	start := r.pos
	r.scanString()
	isItem := r.err == nil && string(r.data[start:r.pos]) == `"item"`
	if r.peek() != ':' {
		r.failChar("after object key")
		return false
	}
	r.pos++
	return isItem && r.err == nil
}

// rawValue skips a value and returns its bytes.
func (r *reader) rawValue() []byte {
	r.ws()
	start := r.pos
	r.skip()
	if r.err != nil {
		return nil
	}
	return r.data[start:r.pos]
}

// flex reads any value as text: strings as they are, numbers and booleans
// as written, objects and arrays as compact JSON, null as "" with Null set.
func (r *reader) flex() flexString {
	switch r.peek() {
	case '"':
		return flexString{S: r.str(), Set: true}
	case '{', '[':
		raw := r.rawValue()
		if r.err != nil {
			return flexString{}
		}
		var buf bytes.Buffer
		buf.Grow(len(raw))
		if json.Compact(&buf, raw) != nil {
			return flexString{S: string(raw), Set: true}
		}
		return flexString{S: buf.String(), Set: true}
	case 'n':
		r.literal()
		return flexString{Null: true}
	}
	lit := r.literal()
	return flexString{S: string(lit), Set: r.err == nil}
}

// flexBool reads true, "true" and 1 as true, anything else as false.
func (r *reader) flexBool() flexBool {
	switch r.peek() {
	case 't':
		r.literal()
		return flexBool{B: r.err == nil}
	case '"':
		return flexBool{B: r.str() == "true"}
	case '{', '[':
		r.skip()
		return flexBool{}
	}
	lit := r.literal()
	return flexBool{B: string(lit) == "1"}
}

// isFalse reads a value and reports whether it is false, "false" or 0 (an
// "enabled": false flag); null and anything else are not.
func (r *reader) isFalse() bool {
	switch r.peek() {
	case 'f':
		r.literal()
		return r.err == nil
	case '"':
		return r.str() == "false"
	case '{', '[':
		r.skip()
		return false
	}
	return string(r.literal()) == "0"
}

// flexInt reads a number or a numeric string; anything else is 0.
func (r *reader) flexInt() flexInt {
	var s string
	switch r.peek() {
	case '"':
		s = r.str()
	case '{', '[':
		r.skip()
		return flexInt{}
	default:
		s = string(r.literal())
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || n > 1e6 {
		return flexInt{}
	}
	return flexInt{N: int(n)}
}
