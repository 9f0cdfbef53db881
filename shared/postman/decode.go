package postman

import (
	"fmt"
	"slices"
	"strings"
)

// This file holds the shapes a collection decodes into and their decoders.
// They follow the v2 collection schema; v1 collections are converted into
// the same shapes (v1.go). Decoding is tolerant: a value of an unexpected
// kind inside an item makes that item invalid (or, for parts that do not
// change the request, such as scripts and saved responses, sets a flag) and
// never fails the collection.

// docJSON is the top level of a v2 collection, or the Postman API wrapper.
type docJSON struct {
	Info                    *infoJSON
	itemAt                  int // offset of the item array
	Variable                []variableJSON
	Auth                    *authJSON
	authErr                 string
	Event                   []eventJSON
	ProtocolProfileBehavior *ppbJSON
	Collection              *docJSON

	hasInfo, hasItem, hasRequests bool
	formatErr                     string // info or item of the wrong kind
	warnings                      []string
}

type infoJSON struct {
	PostmanID flexString
	Name      flexString
	Schema    flexString
}

// itemJSON is an item (request) or an item group (folder). A decoded v2
// folder has folder set and its children at itemAt in the input; a
// converted v1 folder has them in Item.
type itemJSON struct {
	ID                      flexString
	PostmanID               flexString
	Name                    flexString
	Item                    []itemJSON
	folder                  bool
	itemAt                  int
	Request                 *requestJSON
	Response                []responseJSON
	Event                   []eventJSON
	Auth                    *authJSON
	ProtocolProfileBehavior *ppbJSON

	invalid string
	authErr string // a malformed auth block: inheriting requests are invalid
	flags   []string
	scripts []string // v1 tests / preRequestScript
}

type requestJSON struct {
	URL    urlJSON
	Method flexString
	Header headerList
	Body   *bodyJSON
	Auth   *authJSON
}

// urlJSON is a URL given as a string or as an object.
type urlJSON struct {
	Raw      string
	Protocol flexString
	Host     flexList
	Port     flexString
	Path     flexList
	Query    []kvJSON
	Variable []kvJSON

	set      bool // a url was given at all
	object   bool // given as an object
	hasParts bool // the object has protocol, host, port or path
	hasQuery bool // the object has a query field
}

// kvJSON is a header, query parameter, url variable or urlencoded field.
type kvJSON struct {
	ID       flexString // url variables may be named by id
	Key      flexString
	Value    flexString
	Disabled flexBool // or "enabled": false (v1, environments)
}

func (kv *kvJSON) off() bool { return kv.Disabled.B }

// headerList is a header array, or the string form "Key: Value\n...".
type headerList []kvJSON

type bodyJSON struct {
	Mode       flexString
	Raw        string
	URLEncoded []kvJSON
	FormData   []formJSON
	File       *fileJSON
	GraphQL    *graphqlJSON
	Language   flexString // options.raw.language
	Disabled   flexBool
}

type formJSON struct {
	Key      flexString
	Value    flexString
	Type     flexString
	Src      flexList
	Disabled flexBool // or "enabled": false
}

type fileJSON struct {
	Src     flexString
	Content flexString
}

type graphqlJSON struct {
	Query     flexString
	Variables rawOrText
}

// rawOrText keeps a string as text, and any other JSON value as its compact
// JSON text.
type rawOrText struct {
	S     string
	IsStr bool
}

type responseJSON struct {
	Name            flexString
	OriginalRequest *requestJSON
	Code            flexInt
	Header          headerList
	Body            *string
}

type eventJSON struct {
	Listen flexString
	Script *scriptJSON
}

type scriptJSON struct {
	Exec execLines
}

// execLines is script source as an array of lines or a single string.
type execLines []string

type variableJSON struct {
	ID       flexString
	Key      flexString
	Value    flexString
	Disabled flexBool // or "enabled": false
}

func (v *variableJSON) variable() (Variable, bool) {
	name := v.Key.S
	if !v.Key.Set {
		name = v.ID.S
	}
	if name == "" {
		return Variable{}, false
	}
	return Variable{Key: name, Value: v.Value.S, Disabled: v.Disabled.B}, true
}

type ppbJSON struct {
	DisableBodyPruning    *flexBool
	DisabledSystemHeaders map[string]flexBool
}

// authJSON is {"type": T, T: params} with params in the v2.0 object form or
// the v2.1 array form.
type authJSON struct {
	Type   string
	Params []authParam
}

type authParam struct {
	Key, Value string
}

// flexString is any JSON value as text: strings as they are, numbers and
// booleans as written, objects and arrays as compact JSON, null as "" (Null
// set).
type flexString struct {
	S    string
	Set  bool // present and not null
	Null bool
}

// flexList is an array of values or a single value: host and path (array
// or string), formdata src (string or array).
type flexList []string

// flexBool reads true/false, "true"/"false", numbers (1 is true) and null
// (false).
type flexBool struct{ B bool }

// flexInt reads a number or a numeric string; anything else is 0.
type flexInt struct{ N int }

// shape records the first value of an unexpected kind met while decoding
// one item.
type shape struct{ msg string }

// bad records that the value at the reader's position has the wrong kind
// and skips it.
func (s *shape) bad(r *reader, what, want string) {
	if s.msg == "" {
		s.msg = fmt.Sprintf("%s is %s, want %s", what, r.kind(), want)
	}
	r.skip()
}

// ---- decoders ----

// doc decodes a collection's top level. top allows one level of the
// {"collection": ...} wrapper.
func (r *reader) doc(p *parser, top bool) docJSON {
	var d docJSON
	if r.peek() != '{' {
		if r.ok() {
			d.formatErr = fmt.Sprintf("not a Postman collection: the top-level value is %s, want an object", r.kind())
			r.skip()
		}
		return d
	}
	r.object(func(key []byte) {
		switch string(key) {
		case "info":
			if r.peek() == 'n' {
				return
			}
			d.hasInfo = true
			if r.peek() != '{' {
				d.formatErr = fmt.Sprintf("not a Postman collection: info is %s, want an object", r.kind())
				return
			}
			d.Info = &infoJSON{}
			r.object(func(k []byte) {
				switch string(k) {
				case "_postman_id":
					d.Info.PostmanID = r.flex()
				case "name":
					d.Info.Name = r.flex()
				case "schema":
					d.Info.Schema = r.flex()
				}
			})
		case "item":
			if r.peek() == 'n' {
				return
			}
			d.hasItem = true
			if r.peek() != '[' {
				d.formatErr = fmt.Sprintf("not a Postman collection: item is %s, want an array", r.kind())
				return
			}
			d.itemAt = r.pos
			r.skip()
		case "variable":
			d.Variable = r.variables(&d.warnings, "collection variable")
		case "auth":
			var sh shape
			d.Auth = r.auth(&sh, "auth")
			if sh.msg != "" {
				d.authErr = "collection " + sh.msg
				d.warnings = append(d.warnings, d.authErr)
			}
		case "event":
			var ok bool
			if d.Event, ok = r.events(); !ok {
				d.warnings = append(d.warnings, "collection event list is malformed; partly ignored")
			}
		case "protocolProfileBehavior":
			var ok bool
			if d.ProtocolProfileBehavior, ok = r.ppb(); !ok {
				d.warnings = append(d.warnings, "collection protocolProfileBehavior is malformed; ignored")
			}
		case "requests":
			if r.peek() != 'n' {
				d.hasRequests = true
			}
		case "collection":
			if top && r.peek() == '{' {
				inner := r.doc(p, false)
				d.Collection = &inner
			}
		}
	})
	return d
}

// item decodes one element of an item array. A folder's children are
// skipped (their offset is kept in itemAt) and decoded later, one by one,
// so that a request's decoded form is dropped as soon as it is built.
func (r *reader) item(it *itemJSON) {
	if r.peek() != '{' {
		it.invalid = fmt.Sprintf("item is %s, want an object", r.kind())
		r.skip()
		return
	}
	var sh shape
	var folderErr string
	r.object(func(key []byte) {
		switch string(key) {
		case "id":
			it.ID = r.flex()
		case "_postman_id":
			it.PostmanID = r.flex()
		case "name":
			it.Name = r.flex()
		case "item":
			switch r.peek() {
			case '[':
				it.folder = true
				it.itemAt = r.pos
				if end, ok := r.itemEnds[r.pos]; ok {
					r.pos = end // skipped before, by the document pass
				} else {
					r.skip()
				}
			case 'n':
			default:
				folderErr = fmt.Sprintf("folder item list is %s, want an array", r.kind())
				r.skip()
			}
		case "request":
			it.Request = r.request(&sh, "request")
		case "response":
			r.responses(it)
		case "event":
			var ok bool
			if it.Event, ok = r.events(); !ok {
				it.flags = append(it.flags, FlagInvalidScript)
			}
		case "auth":
			var ash shape
			it.Auth = r.auth(&ash, "auth")
			if ash.msg != "" {
				it.authErr = ash.msg
			}
		case "protocolProfileBehavior":
			var ok bool
			if it.ProtocolProfileBehavior, ok = r.ppb(); !ok {
				it.flags = append(it.flags, FlagInvalidProfile)
			}
		}
	})
	switch {
	case folderErr != "":
		it.folder = false
		it.invalid = folderErr
	case it.folder:
		// a folder: a malformed auth makes the requests that inherit it
		// invalid; its own request field (if any) is ignored, as in Postman.
		if it.authErr != "" && it.Name.S != "" {
			it.authErr = fmt.Sprintf("folder %q %s", it.Name.S, it.authErr)
		}
	case sh.msg != "":
		it.invalid = sh.msg
	case it.authErr != "":
		it.invalid = it.authErr
	}
}

// request reads a request given as an object or as a bare URL string.
func (r *reader) request(sh *shape, what string) *requestJSON {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil
	case '"':
		return &requestJSON{URL: urlJSON{Raw: r.str(), set: true}}
	case '{':
	default:
		sh.bad(r, what, "an object or a URL string")
		return nil
	}
	q := &requestJSON{}
	r.object(func(key []byte) {
		switch string(key) {
		case "url":
			q.URL = r.url(sh, what+".url")
		case "method":
			q.Method = r.flex()
		case "header":
			q.Header = r.headers(sh, what+".header")
		case "body":
			q.Body = r.body(sh, what+".body")
		case "auth":
			q.Auth = r.auth(sh, what+".auth")
		}
	})
	return q
}

func (r *reader) url(sh *shape, what string) urlJSON {
	switch r.peek() {
	case 'n':
		r.skip()
		return urlJSON{}
	case '"':
		return urlJSON{Raw: r.str(), set: true}
	case '{':
	default:
		sh.bad(r, what, "a string or an object")
		return urlJSON{}
	}
	u := urlJSON{set: true, object: true}
	r.object(func(key []byte) {
		switch string(key) {
		case "raw":
			u.Raw = r.flex().S
		case "protocol":
			u.Protocol = r.flex()
		case "host":
			u.Host = r.flexList()
		case "port":
			u.Port = r.flex()
		case "path":
			u.Path = r.flexList()
		case "query":
			if r.peek() != 'n' {
				u.hasQuery = true
			}
			u.Query = r.kvList(sh, what+".query")
		case "variable":
			u.Variable = r.kvList(sh, what+".variable")
		}
	})
	u.hasParts = u.Protocol.S != "" || len(u.Host) > 0 || u.Port.S != "" || len(u.Path) > 0
	return u
}

// kvList reads an array of {key, value, disabled} objects.
func (r *reader) kvList(sh *shape, what string) []kvJSON {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil
	case '[':
	default:
		sh.bad(r, what, "an array")
		return nil
	}
	scratch := r.kvScratch[:0]
	r.array(func(i int) {
		if r.peek() != '{' {
			if r.peek() == 'n' { // a null entry is dropped
				r.skip()
				return
			}
			sh.bad(r, fmt.Sprintf("%s[%d]", what, i), "an object")
			return
		}
		scratch = append(scratch, r.kv())
	})
	r.kvScratch = scratch[:0]
	if len(scratch) == 0 {
		return []kvJSON{}
	}
	return slices.Clone(scratch)
}

func (r *reader) kv() kvJSON {
	var kv kvJSON
	r.object(func(key []byte) {
		switch string(key) {
		case "key":
			kv.Key = r.flex()
		case "value":
			kv.Value = r.flex()
		case "disabled":
			kv.Disabled.B = r.flexBool().B || kv.Disabled.B
		case "enabled":
			kv.Disabled.B = r.isFalse() || kv.Disabled.B
		case "id":
			kv.ID = r.flex()
		}
	})
	return kv
}

func (r *reader) headers(sh *shape, what string) headerList {
	if r.peek() == '"' {
		return parseHeaderString(r.str())
	}
	return r.kvList(sh, what)
}

func (r *reader) body(sh *shape, what string) *bodyJSON {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil
	case '{':
	default:
		sh.bad(r, what, "an object")
		return nil
	}
	b := &bodyJSON{}
	r.object(func(key []byte) {
		switch string(key) {
		case "mode":
			b.Mode = r.flex()
		case "raw":
			if r.peek() == '"' {
				b.Raw = r.str()
			} else {
				b.Raw = r.flex().S
			}
		case "urlencoded":
			b.URLEncoded = r.kvList(sh, what+".urlencoded")
		case "formdata":
			b.FormData = r.formList(sh, what+".formdata")
		case "file":
			switch r.peek() {
			case '{':
				b.File = &fileJSON{}
				r.object(func(k []byte) {
					switch string(k) {
					case "src":
						b.File.Src = r.flex()
					case "content":
						b.File.Content = r.flex()
					}
				})
			case 'n':
			default:
				sh.bad(r, what+".file", "an object")
			}
		case "graphql":
			b.GraphQL = r.graphql(sh, what+".graphql")
		case "options":
			if r.peek() != '{' {
				return
			}
			r.object(func(k []byte) {
				if string(k) != "raw" || r.peek() != '{' {
					return
				}
				r.object(func(k2 []byte) {
					if string(k2) == "language" {
						b.Language = r.flex()
					}
				})
			})
		case "disabled":
			b.Disabled = r.flexBool()
		}
	})
	return b
}

func (r *reader) graphql(sh *shape, what string) *graphqlJSON {
	switch r.peek() {
	case '{':
	case 'n':
		r.skip()
		return nil
	default:
		sh.bad(r, what, "an object")
		return nil
	}
	g := &graphqlJSON{}
	r.object(func(k []byte) {
		switch string(k) {
		case "query":
			g.Query = r.flex()
		case "variables":
			g.Variables = r.rawOrText()
		}
	})
	return g
}

func (r *reader) formList(sh *shape, what string) []formJSON {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil
	case '[':
	default:
		sh.bad(r, what, "an array")
		return nil
	}
	var out []formJSON
	r.array(func(i int) {
		if r.peek() != '{' {
			if r.peek() == 'n' {
				r.skip()
				return
			}
			sh.bad(r, fmt.Sprintf("%s[%d]", what, i), "an object")
			return
		}
		var f formJSON
		r.object(func(key []byte) {
			switch string(key) {
			case "key":
				f.Key = r.flex()
			case "value":
				f.Value = r.flex()
			case "type":
				f.Type = r.flex()
			case "src":
				f.Src = r.flexList()
			case "disabled":
				f.Disabled.B = r.flexBool().B || f.Disabled.B
			case "enabled":
				f.Disabled.B = r.isFalse() || f.Disabled.B
			}
		})
		out = append(out, f)
	})
	return out
}

func (r *reader) rawOrText() rawOrText {
	switch r.peek() {
	case 'n':
		r.skip()
		return rawOrText{}
	case '"':
		return rawOrText{S: r.str(), IsStr: true}
	}
	return rawOrText{S: r.flex().S}
}

// flexList reads an array of values (objects give their "value"), or one
// value.
func (r *reader) flexList() flexList {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil
	case '[':
		out := flexList{}
		r.array(func(int) {
			switch r.peek() {
			case 'n':
				r.skip()
			case '{':
				out = append(out, r.valueOf())
			default:
				out = append(out, r.flex().S)
			}
		})
		return out
	case '{':
		return flexList{r.valueOf()}
	}
	return flexList{r.flex().S}
}

// valueOf reads an object and returns the text of its "value" member.
func (r *reader) valueOf() string {
	var v string
	r.object(func(key []byte) {
		if string(key) == "value" {
			v = r.flex().S
		}
	})
	return v
}

// auth reads an auth block; null gives nil.
func (r *reader) auth(sh *shape, what string) *authJSON {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil
	case '{':
	default:
		sh.bad(r, what, "an object")
		return nil
	}
	a := &authJSON{}
	type cand struct {
		key    string
		params []authParam
	}
	var cands []cand
	r.object(func(key []byte) {
		if string(key) == "type" {
			a.Type = r.flex().S
			return
		}
		switch r.peek() {
		case '[':
			c := cand{key: string(key)}
			r.array(func(int) {
				if r.peek() != '{' {
					return
				}
				var kv authParam
				r.object(func(k []byte) {
					switch string(k) {
					case "key":
						kv.Key = r.flex().S
					case "value":
						kv.Value = r.flex().S
					}
				})
				c.params = append(c.params, kv)
			})
			cands = append(cands, c)
		case '{':
			c := cand{key: string(key)}
			r.object(func(k []byte) {
				c.params = append(c.params, authParam{Key: string(k), Value: r.flex().S})
			})
			cands = append(cands, c)
		}
	})
	for _, c := range cands {
		if c.key == a.Type {
			a.Params = c.params
		}
	}
	return a
}

// events reads an event list; false when part of it was malformed.
func (r *reader) events() ([]eventJSON, bool) {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil, true
	case '[':
	default:
		r.skip()
		return nil, false
	}
	ok := true
	var out []eventJSON
	r.array(func(int) {
		if r.peek() != '{' {
			ok = false
			return
		}
		var e eventJSON
		r.object(func(key []byte) {
			switch string(key) {
			case "listen":
				e.Listen = r.flex()
			case "script":
				if r.peek() != '{' {
					if r.peek() != 'n' {
						ok = false
					}
					return
				}
				e.Script = &scriptJSON{}
				r.object(func(k []byte) {
					if string(k) == "exec" {
						e.Script.Exec = r.execLines()
					}
				})
			}
		})
		out = append(out, e)
	})
	return out, ok
}

func (r *reader) execLines() execLines {
	switch r.peek() {
	case '"':
		return execLines{r.str()}
	case '[':
		var out execLines
		r.array(func(int) {
			if r.peek() == '"' {
				out = append(out, r.str())
			}
		})
		return out
	}
	r.skip()
	return nil
}

// responses reads an item's saved responses; malformed ones are dropped
// and flagged.
func (r *reader) responses(it *itemJSON) {
	switch r.peek() {
	case 'n':
		r.skip()
		return
	case '[':
	default:
		r.skip()
		it.flags = append(it.flags, FlagInvalidExample)
		return
	}
	r.array(func(int) {
		if r.peek() != '{' {
			it.flags = append(it.flags, FlagInvalidExample)
			return
		}
		var resp responseJSON
		var sh shape
		r.object(func(key []byte) {
			switch string(key) {
			case "name":
				resp.Name = r.flex()
			case "originalRequest":
				resp.OriginalRequest = r.request(&sh, "originalRequest")
			case "code":
				resp.Code = r.flexInt()
			case "header":
				var hsh shape // malformed response headers are dropped
				resp.Header = r.headers(&hsh, "header")
			case "body":
				switch r.peek() {
				case 'n':
					r.skip()
				case '"':
					s := r.str()
					resp.Body = &s
				default:
					s := r.flex().S
					resp.Body = &s
				}
			}
		})
		if sh.msg != "" {
			it.flags = append(it.flags, FlagInvalidExample)
			return
		}
		it.Response = append(it.Response, resp)
	})
}

// ppb reads protocolProfileBehavior; false when it is malformed.
func (r *reader) ppb() (*ppbJSON, bool) {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil, true
	case '{':
	default:
		r.skip()
		return nil, false
	}
	p := &ppbJSON{}
	r.object(func(key []byte) {
		switch string(key) {
		case "disableBodyPruning":
			b := r.flexBool()
			p.DisableBodyPruning = &b
		case "disabledSystemHeaders":
			if r.peek() != '{' {
				return
			}
			p.DisabledSystemHeaders = map[string]flexBool{}
			r.object(func(k []byte) {
				p.DisabledSystemHeaders[string(k)] = r.flexBool()
			})
		}
	})
	return p, true
}

// variables reads a variable list; malformed entries are reported in warn.
func (r *reader) variables(warn *[]string, what string) []variableJSON {
	switch r.peek() {
	case 'n':
		r.skip()
		return nil
	case '[':
	default:
		*warn = append(*warn, fmt.Sprintf("%s list is %s, want an array; ignored", what, r.kind()))
		r.skip()
		return nil
	}
	var out []variableJSON
	r.array(func(i int) {
		if r.peek() != '{' {
			*warn = append(*warn, fmt.Sprintf("%s #%d is %s, want an object; ignored", what, i+1, r.kind()))
			r.skip()
			return
		}
		var v variableJSON
		r.object(func(key []byte) {
			switch string(key) {
			case "id":
				v.ID = r.flex()
			case "key":
				v.Key = r.flex()
			case "value":
				v.Value = r.flex()
			case "disabled":
				v.Disabled.B = r.flexBool().B || v.Disabled.B
			case "enabled":
				v.Disabled.B = r.isFalse() || v.Disabled.B
			}
		})
		out = append(out, v)
	})
	return out
}

// parseHeaderString reads the string form of headers: "Key: Value" lines;
// lines starting with "//" are disabled headers.
func parseHeaderString(s string) []kvJSON {
	var out []kvJSON
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		disabled := false
		if strings.HasPrefix(line, "//") {
			disabled = true
			line = strings.TrimSpace(line[2:])
		}
		k, v, _ := strings.Cut(line, ":")
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		out = append(out, kvJSON{
			Key:      flexString{S: k, Set: true},
			Value:    flexString{S: strings.TrimSpace(v), Set: true},
			Disabled: flexBool{B: disabled},
		})
	}
	return out
}
