package postman

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Default hard limits, used when the Options field is zero.
const (
	// DefaultMaxDepth is the deepest folder nesting accepted (a request at
	// the top level is at depth 1).
	DefaultMaxDepth = 64
	// DefaultMaxItems is the most items (requests and folders) accepted.
	DefaultMaxItems = 100_000
	// DefaultMaxExpansion is the most bytes variable resolution may add,
	// summed over every string of the collection.
	DefaultMaxExpansion = 32 << 20
)

// Options tunes Parse. The zero value is ready to use.
type Options struct {
	// Environment variables: the narrowest scope, they win over collection
	// variables.
	Environment []Variable
	// Globals: the widest scope, collection variables win over them.
	Globals []Variable
	// Now is the clock for {{$timestamp}} and friends; nil means time.Now.
	Now func() time.Time
	// Rand is the random source for dynamic variables ({{$guid}} ...); nil
	// means a fresh, non-deterministic source.
	Rand *rand.Rand

	// Hard limits; zero means the Default* constant. Exceeding one makes
	// Parse fail with a *LimitError.
	MaxDepth, MaxItems, MaxExpansion int
}

var schemaVersionRE = regexp.MustCompile(`v(\d+\.\d+\.\d+)`)

// Parse reads a Postman collection (v1.0, v2.0 or v2.1, optionally inside
// the Postman API wrapper {"collection": ...}) and builds every request the
// way postman-runtime would send it:
//
//   - {{name}} references resolve from Options.Environment, then collection
//     variables, then Options.Globals, re-scanning up to MaxResolvePasses
//     times; {{$guid}}-style dynamic variables come from Options.Rand and
//     Options.Now. Disabled variables are ignored (Newman uses them).
//   - Auth is inherited request, folders, collection ("noauth" stops it);
//     bearer, basic, apikey and oauth2 are applied to the built request,
//     replacing a hand-written header; other types are recorded (see
//     HandlingOf).
//   - Bodies follow Postman's modes; GET and HEAD bodies are pruned unless
//     protocolProfileBehavior.disableBodyPruning (nearest folder wins).
//   - ":name" path segments take url.variable values; unfilled ones stay.
//
// Parse keeps no reference to data.
//
// Errors: *SyntaxError when data is not JSON, *FormatError when it is JSON
// but not a collection this package reads, *LimitError when a hard limit is
// exceeded. A structurally broken item does not fail the collection: it
// becomes a Request with Invalid set.
func Parse(data []byte, opts Options) (*Collection, error) {
	p := newParser(opts)
	r := newReader(data)
	r.itemEnds = map[int]int{}
	p.itemEnds = r.itemEnds
	top := r.doc(p, true)
	r.end()
	if r.err != nil {
		return nil, r.err
	}
	d := &top
	if !d.hasInfo && !d.hasItem && !d.hasRequests && d.Collection != nil {
		d = d.Collection
	}
	if d.formatErr != "" {
		return nil, &FormatError{Msg: d.formatErr}
	}
	switch {
	case d.hasInfo && d.hasItem:
		schema, err := schemaVersion(d.Info.Schema.S, &p.coll)
		if err != nil {
			return nil, err
		}
		p.coll.Schema = schema
		p.coll.PostmanID = d.Info.PostmanID.S
		p.coll.Name = d.Info.Name.S
		p.coll.Warnings = append(p.coll.Warnings, d.warnings...)
		p.collAuthErr = d.authErr
		p.data = data
		// Capacity hint: requests are about as many as "request" keys (and
		// a request takes more than 256 bytes of JSON in any real file).
		hint := bytes.Count(data, []byte(`"request":`))
		p.coll.Requests = make([]Request, 0, min(hint, p.opts.MaxItems, len(data)/256+1))
		at := d.itemAt
		return p.run(d.Variable, d.Auth, d.Event, d.ProtocolProfileBehavior, func(in inherit) error {
			return p.walkRaw(at, nil, in, 1)
		})
	case d.hasRequests && !d.hasInfo && !d.hasItem:
		return p.parseV1(data)
	}
	return nil, formatErrorFor(d.hasInfo, d.hasItem)
}

func formatErrorFor(hasInfo, hasItem bool) error {
	switch {
	case hasInfo && !hasItem:
		return &FormatError{Msg: `not a Postman collection: "info" without "item"`}
	case hasItem && !hasInfo:
		return &FormatError{Msg: `not a Postman collection: "item" without "info"`}
	}
	return &FormatError{Msg: `not a Postman collection: no "info" and "item" (v2) nor "requests" (v1)`}
}

// present reports whether a raw member was given and is not null.
func present(r json.RawMessage) bool {
	return len(r) > 0 && firstByte(r) != 'n'
}

// schemaVersion maps info.schema to a supported version.
func schemaVersion(schema string, c *Collection) (string, error) {
	if strings.TrimSpace(schema) == "" {
		return SchemaV21, nil
	}
	m := schemaVersionRE.FindStringSubmatch(schema)
	if m == nil {
		c.Warnings = append(c.Warnings, fmt.Sprintf("info.schema %q names no version; read as v2.1.0", schema))
		return SchemaV21, nil
	}
	v := m[1]
	switch {
	case strings.HasPrefix(v, "1.0."):
		return SchemaV1, nil
	case strings.HasPrefix(v, "2.0."):
		return SchemaV20, nil
	case strings.HasPrefix(v, "2.1."):
		return SchemaV21, nil
	}
	return "", &FormatError{Msg: fmt.Sprintf("unsupported collection schema version %s (supported: 1.0, 2.0, 2.1)", v)}
}

// newSyntaxError builds a *SyntaxError for the byte at offset at (len(data)
// for an unexpected end).
func newSyntaxError(data []byte, at int, msg string) *SyntaxError {
	at = max(0, min(at, len(data)))
	line := 1 + bytes.Count(data[:at], []byte{'\n'})
	col := at + 1
	if i := bytes.LastIndexByte(data[:at], '\n'); i >= 0 {
		col = at - i
	}
	return &SyntaxError{Offset: int64(at), Line: line, Column: col, Msg: strings.TrimPrefix(msg, "json: ")}
}

// parser holds the state of one Parse call.
type parser struct {
	opts        Options
	data        []byte // the input, for walkRaw
	v1Size      int    // size of a v1 input
	itemEnds    map[int]int
	coll        Collection
	collAuthErr string
	res         *resolver
	items       int
	scriptSets  map[string]bool // names scripts set
}

func newParser(opts Options) *parser {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxItems <= 0 {
		opts.MaxItems = DefaultMaxItems
	}
	if opts.MaxExpansion <= 0 {
		opts.MaxExpansion = DefaultMaxExpansion
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &parser{opts: opts}
}

// inherit is what a request inherits from its folders and the collection.
type inherit struct {
	auth      *authJSON
	authErr   string // the nearest auth block was malformed
	noPruning *bool
	noCT      *bool
}

func (in inherit) with(auth *authJSON, ppb *ppbJSON) inherit {
	if declared(auth) {
		in.auth = auth
		in.authErr = ""
	}
	if ppb != nil {
		if ppb.DisableBodyPruning != nil {
			b := ppb.DisableBodyPruning.B
			in.noPruning = &b
		}
		if v, ok := lookupFold(ppb.DisabledSystemHeaders, "content-type"); ok {
			b := v.B
			in.noCT = &b
		}
	}
	return in
}

func lookupFold(m map[string]flexBool, key string) (flexBool, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return flexBool{}, false
}

// declared reports whether an auth block takes part in inheritance: absent,
// null, typeless and "inherit" blocks inherit from the parent.
func declared(a *authJSON) bool {
	return a != nil && a.Type != "" && a.Type != "inherit"
}

// run builds the collection: walk builds the items with the collection's
// inheritance.
func (p *parser) run(vars []variableJSON, auth *authJSON, events []eventJSON, ppb *ppbJSON, walk func(inherit) error) (*Collection, error) {
	for i := range vars {
		if v, ok := vars[i].variable(); ok {
			p.coll.Variables = append(p.coll.Variables, v)
		}
	}
	p.res = newResolver(p.opts.Globals, p.coll.Variables, p.opts.Environment, p.opts.Rand, p.opts.Now, p.opts.MaxExpansion)
	p.addScripts(events)
	if declared(auth) {
		a := p.resolveAuth(auth, nil)
		if a == nil {
			a = &Auth{Type: "noauth"}
		}
		p.coll.Auth = a
	}
	if err := walk(inherit{authErr: p.collAuthErr}.with(auth, ppb)); err != nil {
		return nil, err
	}
	if p.res.err != nil {
		return nil, p.res.err
	}
	p.finish()
	c := p.coll // not &p.coll: that would keep the parser, and data, alive
	return &c, nil
}

// folderInherit is what a folder passes on to its children.
func folderInherit(in inherit, it *itemJSON) inherit {
	fin := in.with(it.Auth, it.ProtocolProfileBehavior)
	if it.authErr != "" {
		fin.auth, fin.authErr = nil, it.authErr
	}
	return fin
}

func subFolders(folders []string, name string) []string {
	sub := make([]string, len(folders)+1)
	copy(sub, folders)
	sub[len(folders)] = name
	return sub
}

// walkRaw decodes and builds the items of the array at offset at of the
// input, one at a time.
func (p *parser) walkRaw(at int, folders []string, in inherit, depth int) error {
	if depth > p.opts.MaxDepth {
		return &LimitError{Limit: "nesting depth", Max: p.opts.MaxDepth}
	}
	r := &reader{data: p.data, pos: at, itemEnds: p.itemEnds}
	var err error
	r.array(func(int) {
		if err != nil {
			r.skip()
			return
		}
		if err = p.countItem(); err != nil {
			r.skip()
			return
		}
		var it itemJSON
		r.item(&it)
		p.addScripts(it.Event)
		if it.folder {
			err = p.walkRaw(it.itemAt, subFolders(folders, it.Name.S), folderInherit(in, &it), depth+1)
			return
		}
		p.coll.Requests = append(p.coll.Requests, p.buildItem(&it, folders, in))
		err = p.res.err
	})
	if err == nil && r.err != nil { // cannot happen: the input was validated
		err = r.err
	}
	return err
}

func (p *parser) countItem() error {
	p.items++
	if p.items > p.opts.MaxItems {
		return &LimitError{Limit: "item count", Max: p.opts.MaxItems}
	}
	return nil
}

// walk builds an in-memory item tree (converted v1 collections).
func (p *parser) walk(items []itemJSON, folders []string, in inherit, depth int) error {
	if depth > p.opts.MaxDepth {
		return &LimitError{Limit: "nesting depth", Max: p.opts.MaxDepth}
	}
	for i := range items {
		it := &items[i]
		if err := p.countItem(); err != nil {
			return err
		}
		p.addScripts(it.Event)
		p.scanScripts(it.scripts)
		if it.folder && it.invalid == "" {
			if err := p.walk(it.Item, subFolders(folders, it.Name.S), folderInherit(in, it), depth+1); err != nil {
				return err
			}
			continue
		}
		p.coll.Requests = append(p.coll.Requests, p.buildItem(it, folders, in))
		if p.res.err != nil {
			return p.res.err
		}
	}
	return nil
}

func (p *parser) addScripts(events []eventJSON) {
	for i := range events {
		if s := events[i].Script; s != nil {
			p.scanScripts(s.Exec)
		}
	}
}

// scanScripts records the variable names the script lines set.
func (p *parser) scanScripts(lines []string) {
	for _, s := range lines {
		if !strings.Contains(s, "set") {
			continue
		}
		for _, m := range setByScriptRE.FindAllStringSubmatch(s, -1) {
			if p.scriptSets == nil {
				p.scriptSets = map[string]bool{}
			}
			p.scriptSets[m[1]] = true
		}
	}
}

var setByScriptRE = regexp.MustCompile(`(?:pm\s*\.\s*(?:environment|collectionVariables|variables|globals)\s*\.\s*set|postman\s*\.\s*set(?:Environment|Global)Variable)\s*\(\s*["'` + "`" + `]([^"'` + "`" + `\r\n]+)["'` + "`" + `]`)

// finish fills the set_by_script lists.
func (p *parser) finish() {
	set := p.scriptSets
	for name := range set {
		p.coll.SetByScript = append(p.coll.SetByScript, name)
	}
	slices.Sort(p.coll.SetByScript)
	if len(set) == 0 {
		return
	}
	for i := range p.coll.Requests {
		r := &p.coll.Requests[i]
		for _, n := range r.Unresolved {
			if set[n] {
				r.SetByScript = append(r.SetByScript, n)
			}
		}
	}
}
