package postman

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Collection format v1.0 ("requests", "order", "folders", "folders_order")
// is converted into the v2 shapes the way Postman's own
// postman-collection-transformer does: folders first (subfolders, then the
// requests their "order" lists), then the root requests of "order".

type v1Folder struct {
	ID               flexString      `json:"id"`
	Name             flexString      `json:"name"`
	Order            []flexString    `json:"order"`
	FoldersOrder     []flexString    `json:"folders_order"`
	Auth             json.RawMessage `json:"auth"`
	CurrentHelper    flexString      `json:"currentHelper"`
	HelperAttributes json.RawMessage `json:"helperAttributes"`
	Events           json.RawMessage `json:"events"`
	Tests            flexString      `json:"tests"`
	PreRequestScript flexString      `json:"preRequestScript"`
}

type v1Request struct {
	ID                      flexString      `json:"id"`
	Name                    flexString      `json:"name"`
	URL                     json.RawMessage `json:"url"`
	Method                  flexString      `json:"method"`
	Headers                 json.RawMessage `json:"headers"`
	HeaderData              json.RawMessage `json:"headerData"`
	DataMode                flexString      `json:"dataMode"`
	Data                    json.RawMessage `json:"data"`
	RawModeData             json.RawMessage `json:"rawModeData"`
	GraphqlModeData         json.RawMessage `json:"graphqlModeData"`
	DataDisabled            flexBool        `json:"dataDisabled"`
	QueryParams             json.RawMessage `json:"queryParams"`
	PathVariableData        json.RawMessage `json:"pathVariableData"`
	PathVariables           json.RawMessage `json:"pathVariables"`
	Auth                    json.RawMessage `json:"auth"`
	CurrentHelper           flexString      `json:"currentHelper"`
	HelperAttributes        json.RawMessage `json:"helperAttributes"`
	Events                  json.RawMessage `json:"events"`
	Tests                   flexString      `json:"tests"`
	PreRequestScript        flexString      `json:"preRequestScript"`
	Responses               json.RawMessage `json:"responses"`
	ProtocolProfileBehavior json.RawMessage `json:"protocolProfileBehavior"`
}

type v1Response struct {
	Name         flexString `json:"name"`
	ResponseCode *struct {
		Code flexInt `json:"code"`
	} `json:"responseCode"`
	Code          flexInt         `json:"code"`
	Text          flexString      `json:"text"`
	Headers       json.RawMessage `json:"headers"`
	Request       json.RawMessage `json:"request"`
	RequestObject json.RawMessage `json:"requestObject"`
}

type v1Query struct {
	Key      flexString `json:"key"`
	Value    flexString `json:"value"`
	Enabled  *flexBool  `json:"enabled"`
	Disabled flexBool   `json:"disabled"`
	Equals   *flexBool  `json:"equals"`
}

// legacyAuthTypes maps v1 "currentHelper" names to auth types.
var legacyAuthTypes = map[string]string{
	"basicAuth":  "basic",
	"bearerAuth": "bearer",
	"digestAuth": "digest",
	"hawkAuth":   "hawk",
	"oAuth1":     "oauth1",
	"oAuth2":     "oauth2",
	"ntlmAuth":   "ntlm",
	"awsSigV4":   "awsv4",
}

func (p *parser) parseV1(data []byte) (*Collection, error) {
	p.v1Size = len(data)
	top, err := decodeObject(data, "the top-level value")
	if err != nil {
		return nil, err
	}
	if !present(top["requests"]) && present(top["collection"]) {
		if top, err = decodeObject(top["collection"], `"collection"`); err != nil {
			return nil, err
		}
	}
	return p.parseV1Object(top)
}

// v1Converter holds the state of one v1 conversion.
type v1Converter struct {
	p          *parser
	n          int                     // items created
	saved      map[string]*requestJSON // saved requests named by id, converted
	amp        int                     // bytes of requests used more than once
	ampMax     int
	err        error // a limit was exceeded
	reqRaw     map[string]json.RawMessage
	reqDone    map[string]*itemJSON
	used       map[string]bool
	folders    map[string]*v1Folder
	folderUsed map[string]bool
}

func (p *parser) parseV1Object(top rawObject) (*Collection, error) {
	p.coll.Schema = SchemaV1
	var id, name flexString
	_ = json.Unmarshal(top["id"], &id)
	_ = json.Unmarshal(top["name"], &name)
	p.coll.PostmanID, p.coll.Name = id.S, name.S

	var reqs []json.RawMessage
	if err := json.Unmarshal(top["requests"], &reqs); err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("not a Postman collection: requests is %s, want an array", jsonKind(top["requests"]))}
	}
	c := &v1Converter{
		p:          p,
		ampMax:     p.v1Size + 1<<20,
		saved:      map[string]*requestJSON{},
		reqRaw:     map[string]json.RawMessage{},
		reqDone:    map[string]*itemJSON{},
		used:       map[string]bool{},
		folders:    map[string]*v1Folder{},
		folderUsed: map[string]bool{},
	}
	var reqOrder []string
	var broken []itemJSON
	for i, raw := range reqs {
		var head struct {
			ID flexString `json:"id"`
		}
		if firstByte(raw) != '{' || json.Unmarshal(raw, &head) != nil {
			broken = append(broken, itemJSON{invalid: fmt.Sprintf("request #%d is %s, want an object", i+1, jsonKind(raw))})
			continue
		}
		rid := head.ID.S
		if rid == "" || c.reqRaw[rid] != nil {
			rid = fmt.Sprintf("\x00%d", i) // no (unique) id: only reachable as unlisted
		}
		c.reqRaw[rid] = raw
		reqOrder = append(reqOrder, rid)
	}

	var folderList []json.RawMessage
	if present(top["folders"]) {
		if err := json.Unmarshal(top["folders"], &folderList); err != nil {
			p.warn("folders ignored: it is %s, want an array", jsonKind(top["folders"]))
		}
	}
	var folderIDs []string
	subfolder := map[string]bool{}
	for i, raw := range folderList {
		var f v1Folder
		if firstByte(raw) != '{' || json.Unmarshal(raw, &f) != nil {
			p.warn("folder #%d ignored: it is malformed", i+1)
			continue
		}
		if f.ID.S == "" || c.folders[f.ID.S] != nil {
			p.warn("folder #%d ignored: no unique id", i+1)
			continue
		}
		c.folders[f.ID.S] = &f
		folderIDs = append(folderIDs, f.ID.S)
	}
	for _, fid := range folderIDs {
		for _, sub := range c.folders[fid].FoldersOrder {
			if sub.S != fid {
				subfolder[sub.S] = true
			}
		}
	}

	var items []itemJSON
	var rootFolders []string
	if present(top["folders_order"]) {
		var fo []flexString
		_ = json.Unmarshal(top["folders_order"], &fo)
		for _, f := range fo {
			rootFolders = append(rootFolders, f.S)
		}
	} else {
		rootFolders = folderIDs
	}
	for _, fid := range rootFolders {
		if c.folders[fid] == nil || subfolder[fid] || c.folderUsed[fid] {
			continue
		}
		items = append(items, c.folder(fid, 1))
	}
	var order []flexString
	_ = json.Unmarshal(top["order"], &order)
	for _, rid := range order {
		if c.reqRaw[rid.S] != nil && c.count() == nil {
			items = append(items, c.request(rid.S))
		}
	}
	for _, rid := range reqOrder { // requests nothing lists
		if !c.used[rid] && c.count() == nil {
			it := c.request(rid)
			it.flags = append(slices.Clip(it.flags), FlagOrphan)
			items = append(items, it)
		}
	}
	items = append(items, broken...)
	if c.err != nil {
		return nil, c.err
	}

	vars := p.rawVariables(top["variables"], "collection variable")
	if len(vars) == 0 {
		vars = p.rawVariables(top["variable"], "collection variable")
	}
	auth := p.v1Auth(top["auth"], flexStringOf(top["currentHelper"]), top["helperAttributes"])
	events, _ := rawEvents(top["events"])
	p.scanScripts([]string{flexStringOf(top["tests"]).S, flexStringOf(top["preRequestScript"]).S})
	return p.run(vars, auth, events, nil, func(in inherit) error {
		return p.walk(items, nil, in, 1)
	})
}

func flexStringOf(raw json.RawMessage) flexString {
	var f flexString
	if present(raw) {
		_ = json.Unmarshal(raw, &f)
	}
	return f
}

func (c *v1Converter) folder(fid string, depth int) itemJSON {
	c.folderUsed[fid] = true
	if err := c.count(); err != nil {
		return itemJSON{}
	}
	if depth > c.p.opts.MaxDepth {
		if c.err == nil {
			c.err = &LimitError{Limit: "nesting depth", Max: c.p.opts.MaxDepth}
		}
		return itemJSON{}
	}
	f := c.folders[fid]
	it := itemJSON{ID: f.ID, Name: f.Name, folder: true}
	it.Auth = c.p.v1Auth(f.Auth, f.CurrentHelper, f.HelperAttributes)
	it.Event, _ = rawEvents(f.Events)
	it.scripts = []string{f.Tests.S, f.PreRequestScript.S}
	for _, sub := range f.FoldersOrder {
		if c.folders[sub.S] == nil || c.folderUsed[sub.S] {
			continue
		}
		it.Item = append(it.Item, c.folder(sub.S, depth+1))
	}
	for _, rid := range f.Order {
		if c.reqRaw[rid.S] != nil && c.count() == nil {
			it.Item = append(it.Item, c.request(rid.S))
		}
	}
	return it
}

// count bounds the items the conversion creates (an order list may name a
// request many times).
func (c *v1Converter) count() error {
	c.n++
	if c.n > c.p.opts.MaxItems && c.err == nil {
		c.err = &LimitError{Limit: "item count", Max: c.p.opts.MaxItems}
	}
	return c.err
}

func (c *v1Converter) request(rid string) itemJSON {
	if c.used[rid] {
		c.amplify(len(c.reqRaw[rid]))
	}
	c.used[rid] = true
	if done := c.reqDone[rid]; done != nil {
		return *done
	}
	it := c.convertItem(c.reqRaw[rid], rid)
	c.reqDone[rid] = &it
	return it
}

// amplify accounts for a request used once more (placed again, or named by
// a saved response): such reuse may at most double the work, so that a
// small file cannot make Parse build gigabytes.
func (c *v1Converter) amplify(n int) {
	c.amp += n
	if c.amp > c.ampMax && c.err == nil {
		c.err = &LimitError{Limit: "request references", Max: c.ampMax}
	}
}

// convertItem converts one v1 request (with its responses) into an item.
func (c *v1Converter) convertItem(raw json.RawMessage, ownID string) itemJSON {
	var r v1Request
	if err := json.Unmarshal(raw, &r); err != nil {
		return itemJSON{invalid: describeDecodeError("request", err)}
	}
	it := itemJSON{ID: r.ID, Name: r.Name}
	req, invalid := c.p.convertV1Request(&r)
	if invalid != "" {
		it.invalid = invalid
		return it
	}
	it.Request = req
	var ok bool
	if it.Event, ok = rawEvents(r.Events); !ok {
		it.flags = append(it.flags, FlagInvalidScript)
	}
	it.scripts = []string{r.Tests.S, r.PreRequestScript.S}
	if present(r.ProtocolProfileBehavior) {
		var ok bool
		if it.ProtocolProfileBehavior, ok = newReader(r.ProtocolProfileBehavior).ppb(); !ok {
			it.flags = append(it.flags, FlagInvalidProfile)
		}
	}
	if present(r.Responses) {
		var list []json.RawMessage
		if json.Unmarshal(r.Responses, &list) != nil {
			it.flags = append(it.flags, FlagInvalidExample)
			return it
		}
		for _, rr := range list {
			if c.err != nil {
				break
			}
			resp, ok := c.convertResponse(rr, ownID)
			if !ok {
				it.flags = append(it.flags, FlagInvalidExample)
				continue
			}
			it.Response = append(it.Response, resp)
		}
	}
	return it
}

func (c *v1Converter) convertResponse(raw json.RawMessage, ownID string) (responseJSON, bool) {
	var out responseJSON
	var r v1Response
	if firstByte(raw) != '{' || json.Unmarshal(raw, &r) != nil {
		return out, false
	}
	out.Name = r.Name
	out.Code = r.Code
	if r.ResponseCode != nil {
		out.Code = r.ResponseCode.Code
	}
	if r.Text.Set {
		b := r.Text.S
		out.Body = &b
	}
	if present(r.Headers) {
		var h headerList
		if json.Unmarshal(r.Headers, &h) == nil {
			out.Header = h
		}
	}
	// The saved request: requestObject, then request; each an object, a
	// JSON string, or the id of a request of the collection.
	savedID := ""
	for _, src := range []json.RawMessage{r.RequestObject, r.Request} {
		if !present(src) {
			continue
		}
		obj := src
		if firstByte(src) == '"' {
			s, _ := unquote(src)
			if firstByte([]byte(s)) == '{' && json.Valid([]byte(s)) {
				obj = json.RawMessage(s)
			} else if s == ownID {
				break // the item's own request
			} else if c.reqRaw[s] != nil {
				c.amplify(len(c.reqRaw[s]))
				if c.err != nil {
					return out, false
				}
				if saved, ok := c.saved[s]; ok {
					if saved == nil {
						return out, false
					}
					out.OriginalRequest = saved
					break
				}
				obj = c.reqRaw[s]
				savedID = s
			} else {
				continue
			}
		}
		var vr v1Request
		var req *requestJSON
		invalid := "malformed"
		if firstByte(obj) == '{' && json.Unmarshal(obj, &vr) == nil {
			req, invalid = c.p.convertV1Request(&vr)
		}
		if savedID != "" {
			c.saved[savedID] = req // nil when invalid
		}
		if invalid != "" {
			return out, false
		}
		out.OriginalRequest = req
		break
	}
	return out, true
}

// convertV1Request converts a v1 request into the v2 request shape.
func (p *parser) convertV1Request(r *v1Request) (*requestJSON, string) {
	q := &requestJSON{Method: r.Method}

	// URL, with queryParams and path variables merged in.
	switch firstByte(r.URL) {
	case 0, 'n':
	case '"', '{':
		if err := json.Unmarshal(r.URL, &q.URL); err != nil {
			return nil, describeDecodeError("url", err)
		}
	default:
		return nil, fmt.Sprintf("url is %s, want a string", jsonKind(r.URL))
	}
	if q.URL.set && !q.URL.object {
		parsed := parseRawURL(q.URL.Raw)
		var params []v1Query
		if present(r.QueryParams) {
			_ = json.Unmarshal(r.QueryParams, &params)
		}
		seen := map[string]bool{}
		var query []kvJSON
		for _, qp := range params {
			kv := kvJSON{Key: qp.Key, Value: qp.Value, Disabled: flexBool{B: qp.Disabled.B || (qp.Enabled != nil && !qp.Enabled.B)}}
			if qp.Equals != nil && !qp.Equals.B && kv.Value.S == "" {
				kv.Value = flexString{Null: true}
			}
			if qp.Equals != nil && qp.Equals.B && !kv.Value.Set {
				kv.Value = flexString{Set: true}
			}
			query = append(query, kv)
			seen[qp.Key.S] = true
		}
		for _, qp := range parsed.query {
			if seen[qp.key] {
				continue
			}
			kv := kvJSON{Key: flexString{S: qp.key, Set: true}, Value: flexString{S: qp.value, Set: !qp.noValue}}
			query = append(query, kv)
		}
		vars, _ := kvListOf(r.PathVariableData, "pathVariableData")
		if present(r.PathVariables) {
			var m map[string]flexString
			if json.Unmarshal(r.PathVariables, &m) == nil {
				have := make(map[string]bool, len(vars))
				for _, v := range vars {
					have[v.Key.S] = true
				}
				keys := make([]string, 0, len(m))
				for k := range m {
					if !have[k] {
						keys = append(keys, k)
					}
				}
				slices.Sort(keys)
				for _, k := range keys {
					vars = append(vars, kvJSON{Key: flexString{S: k, Set: true}, Value: m[k]})
				}
			}
		}
		if len(query) > 0 || len(vars) > 0 {
			q.URL.object = true
			q.URL.hasQuery = true
			q.URL.Query = query
			q.URL.Variable = vars
		}
	}

	// Headers: headerData first, then the "headers" string for keys
	// headerData does not have.
	switch firstByte(r.Headers) {
	case '[':
		if err := json.Unmarshal(r.Headers, &q.Header); err != nil {
			return nil, describeDecodeError("headers", err)
		}
	default:
		data, err := kvListOf(r.HeaderData, "headerData")
		if err != nil {
			return nil, describeDecodeError("", err)
		}
		seen := map[string]bool{}
		for _, h := range data {
			if strings.HasPrefix(h.Key.S, "//") {
				h.Disabled.B = true
				h.Key.S = strings.TrimSpace(strings.TrimPrefix(h.Key.S, "//"))
			}
			q.Header = append(q.Header, h)
			seen[h.Key.S] = true
		}
		hs := flexStringOf(r.Headers)
		for _, h := range parseHeaderString(hs.S) {
			if !seen[h.Key.S] {
				q.Header = append(q.Header, h)
			}
		}
	}

	body, invalid := convertV1Body(r)
	if invalid != "" {
		return nil, invalid
	}
	q.Body = body
	q.Auth = p.v1Auth(r.Auth, r.CurrentHelper, r.HelperAttributes)
	return q, ""
}

func emptyJSON(raw json.RawMessage) bool {
	if !present(raw) {
		return true
	}
	switch strings.TrimSpace(string(raw)) {
	case `""`, "[]", "{}":
		return true
	}
	return false
}

func convertV1Body(r *v1Request) (*bodyJSON, string) {
	modes := map[string]string{"binary": BodyFile, "graphql": BodyGraphQL, "params": BodyFormData, "raw": BodyRaw, "urlencoded": BodyURLEncoded}
	mode := modes[r.DataMode.S]
	if r.DataMode.Null || (mode == "" && emptyJSON(r.Data) && emptyJSON(r.RawModeData) && emptyJSON(r.GraphqlModeData)) {
		return nil, ""
	}
	var rawMode string
	switch firstByte(r.RawModeData) {
	case '"':
		rawMode, _ = unquote(r.RawModeData)
	case '[':
		var l []string
		if json.Unmarshal(r.RawModeData, &l) == nil && len(l) == 1 {
			rawMode = l[0]
		}
	}
	hasGraphQL := !emptyJSON(r.GraphqlModeData) && firstByte(r.GraphqlModeData) == '{'
	if mode == "" {
		switch {
		case rawMode == "" && (firstByte(r.Data) == '[' || firstByte(r.RawModeData) == '['):
			mode = BodyFormData
		case rawMode == "" && hasGraphQL:
			mode = BodyGraphQL
		default:
			mode = BodyRaw
		}
	}
	b := &bodyJSON{Mode: flexString{S: mode, Set: true}, Disabled: r.DataDisabled}
	switch mode {
	case BodyRaw:
		b.Raw = rawMode
		if b.Raw == "" && firstByte(r.Data) == '"' {
			b.Raw, _ = unquote(r.Data)
		}
	case BodyGraphQL:
		if hasGraphQL {
			rd := newReader(r.GraphqlModeData)
			var sh shape
			b.GraphQL = rd.graphql(&sh, "graphqlModeData")
			if err := rd.done(&sh); err != nil {
				return nil, describeDecodeError("", err)
			}
		}
	case BodyFile:
		b.File = &fileJSON{Src: flexString{S: rawMode, Set: rawMode != ""}}
	default:
		src := r.Data
		if emptyJSON(src) {
			src = r.RawModeData
		}
		var fields []formJSON
		if firstByte(src) == '[' {
			rd := newReader(src)
			var sh shape
			fields = rd.formList(&sh, "data")
			if err := rd.done(&sh); err != nil {
				return nil, describeDecodeError("", err)
			}
		}
		fields = slices.DeleteFunc(fields, func(f formJSON) bool { return !f.Key.Set })
		if mode == BodyFormData {
			b.FormData = fields
		} else {
			for _, f := range fields {
				b.URLEncoded = append(b.URLEncoded, kvJSON{Key: f.Key, Value: f.Value, Disabled: f.Disabled})
			}
		}
	}
	return b, ""
}

// v1Auth reads a v1 auth block: "auth" (the v2.1 array form) when given,
// else the legacy currentHelper / helperAttributes pair.
func (p *parser) v1Auth(auth json.RawMessage, helper flexString, attrs json.RawMessage) *authJSON {
	if present(auth) {
		var a authJSON
		if json.Unmarshal(auth, &a) == nil && a.Type != "" {
			return &a
		}
	}
	if helper.S == "" || helper.S == "normal" {
		return nil
	}
	typ, ok := legacyAuthTypes[helper.S]
	if !ok {
		typ = helper.S
	}
	a := &authJSON{Type: typ}
	if firstByte(attrs) == '"' { // some exports hold the attributes as a JSON string
		s, _ := unquote(attrs)
		attrs = json.RawMessage(s)
	}
	var m map[string]flexString
	if firstByte(attrs) == '{' && json.Unmarshal(attrs, &m) == nil {
		keys := make([]string, 0, len(m))
		for k := range m {
			if k != "id" && k != "saveToRequest" && k != "saveHelper" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			a.Params = append(a.Params, authParam{k, m[k].S})
		}
	}
	return a
}

// kvListOf decodes a raw array of {key, value} objects.
func kvListOf(raw json.RawMessage, what string) ([]kvJSON, error) {
	if !present(raw) {
		return nil, nil
	}
	r := newReader(raw)
	var sh shape
	l := r.kvList(&sh, what)
	return l, r.done(&sh)
}
