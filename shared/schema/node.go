// Package schema infers the shape of HTTP messages from samples: JSON body
// shapes (types per field, required-ness, arrays, nesting), form fields,
// query parameters, header names (noise left out) and cookies, per status
// code. Shapes only widen when merged: Merge is a join (commutative,
// associative, idempotent), so merging the same samples again, in any
// order, gives the same shape.
//
// The package is pure.
package schema

import (
	"slices"
	"strings"

	"github.com/apiscout/apiscout/shared/jsonscan"
)

// JSON Schema type names.
const (
	TypeNull    = "null"
	TypeBoolean = "boolean"
	TypeInteger = "integer"
	TypeNumber  = "number"
	TypeString  = "string"
	TypeArray   = "array"
	TypeObject  = "object"
)

// Limits on an inferred shape, so a body with dynamic keys or deep nesting
// cannot make an endpoint unbounded.
const (
	// MaxDepth: objects and arrays nested deeper are recorded by type only
	// (Truncated set).
	MaxDepth = 16
	// MaxProperties: an object keeps the MaxProperties smallest member names
	// (Truncated set when there were more).
	MaxProperties = 200
	// maxCollect bounds the member names collected for one object before
	// MaxProperties applies.
	maxCollect = 10000
)

// Node is the shape of a JSON value.
type Node struct {
	// Types seen, sorted; "integer" is dropped once "number" is seen.
	Types []string `bson:"types" json:"types"`
	// Format of the string values when they all share one (date-time, date,
	// email, uuid, uri, ipv4, ipv6).
	Format string `bson:"format,omitempty" json:"format,omitempty"`
	// Properties of the object values, sorted by name.
	Properties []Property `bson:"properties,omitempty" json:"properties,omitempty"`
	// Items is the shape of the array elements (nil when every array seen
	// was empty).
	Items *Node `bson:"items,omitempty" json:"items,omitempty"`
	// Truncated: members or nesting beyond the limits were left out.
	Truncated bool `bson:"truncated,omitempty" json:"truncated,omitempty"`
}

// Property is an object member.
type Property struct {
	Name string `bson:"name" json:"name"`
	// Required: present in every object value seen.
	Required bool  `bson:"required" json:"required"`
	Node     *Node `bson:"node" json:"node"`
}

// Has reports whether typ is one of the node's types.
func (n *Node) Has(typ string) bool { return n != nil && slices.Contains(n.Types, typ) }

// Property returns the named member, nil when none.
func (n *Node) Property(name string) *Property {
	if n == nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(n.Properties, name, func(p Property, s string) int { return strings.Compare(p.Name, s) })
	if !ok {
		return nil
	}
	return &n.Properties[i]
}

// InferJSON returns the shape of a JSON document; an error when data is not
// JSON.
func InferJSON(data []byte) (*Node, error) {
	d := jsonscan.NewDecoder(data)
	tok, err := d.Next()
	if err != nil {
		return nil, err
	}
	b := &builder{}
	if err := b.observe(d, tok, 0); err != nil {
		return nil, err
	}
	if tok, err := d.Next(); err != nil || tok.Kind != 0 {
		if err == nil {
			err = &jsonscan.SyntaxError{Msg: "trailing data"}
		}
		return nil, err
	}
	return b.node(), nil
}

// builder accumulates the shape of every value observed at one place.
type builder struct {
	types     uint8 // bit set of kinds
	format    string
	formatSet bool // a string was seen; format "" then means mixed
	objects   int  // object values seen
	props     map[string]*prop
	items     *builder
	truncated bool
}

type prop struct {
	b    *builder
	seen int // objects this member was in
}

const (
	bNull = 1 << iota
	bBool
	bInt
	bNum
	bString
	bArray
	bObject
)

func (b *builder) observe(d *jsonscan.Decoder, tok jsonscan.Token, depth int) error {
	switch tok.Kind {
	case jsonscan.Null:
		b.types |= bNull
	case jsonscan.True, jsonscan.False:
		b.types |= bBool
	case jsonscan.Number:
		if isIntegerLiteral(d.Bytes(tok)) {
			b.types |= bInt
		} else {
			b.types |= bNum
		}
	case jsonscan.String:
		b.types |= bString
		b.addFormat(formatOf(d.Bytes(tok)))
	case jsonscan.BeginArray:
		b.types |= bArray
		if depth >= MaxDepth {
			b.truncated = true
			return d.Skip(tok)
		}
		for {
			t, err := d.Next()
			if err != nil {
				return err
			}
			if t.Kind == jsonscan.EndArray {
				return nil
			}
			if b.items == nil {
				b.items = &builder{}
			}
			if err := b.items.observe(d, t, depth+1); err != nil {
				return err
			}
		}
	case jsonscan.BeginObject:
		b.types |= bObject
		if depth >= MaxDepth {
			b.truncated = true
			return d.Skip(tok)
		}
		b.objects++
		if b.props == nil {
			b.props = map[string]*prop{}
		}
		for {
			t, err := d.Next()
			if err != nil {
				return err
			}
			if t.Kind == jsonscan.EndObject {
				return nil
			}
			var p *prop
			var name string
			if t.Escaped {
				name = d.Text(t)
				p = b.props[name]
			} else {
				p = b.props[string(d.Bytes(t))] // no allocation
			}
			v, err := d.Next()
			if err != nil {
				return err
			}
			if p == nil {
				if name == "" {
					name = string(d.Bytes(t))
				}
				if len(b.props) >= maxCollect {
					b.truncated = true
					if err := d.Skip(v); err != nil {
						return err
					}
					continue
				}
				p = &prop{b: &builder{}}
				b.props[name] = p
			}
			if p.seen < b.objects { // a repeated member counts once
				p.seen++
			}
			if err := p.b.observe(d, v, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *builder) addFormat(f string) {
	switch {
	case !b.formatSet:
		b.format, b.formatSet = f, true
	case b.format != f:
		b.format = ""
	}
}

func (b *builder) node() *Node {
	n := &Node{Truncated: b.truncated}
	for bit, name := range map[uint8]string{bNull: TypeNull, bBool: TypeBoolean, bInt: TypeInteger, bNum: TypeNumber, bString: TypeString, bArray: TypeArray, bObject: TypeObject} {
		if b.types&bit != 0 {
			n.Types = append(n.Types, name)
		}
	}
	n.Types = normTypes(n.Types)
	if b.formatSet {
		n.Format = b.format
	}
	if b.items != nil {
		n.Items = b.items.node()
	}
	if len(b.props) > 0 {
		n.Properties = make([]Property, 0, len(b.props))
		for name, p := range b.props {
			n.Properties = append(n.Properties, Property{Name: name, Required: p.seen == b.objects, Node: p.b.node()})
		}
		slices.SortFunc(n.Properties, func(x, y Property) int { return strings.Compare(x.Name, y.Name) })
		if len(n.Properties) > MaxProperties {
			n.Properties = n.Properties[:MaxProperties]
			n.Truncated = true
		}
	}
	return n
}

// normTypes sorts and de-duplicates, and drops "integer" when "number" is
// there.
func normTypes(ts []string) []string {
	slices.Sort(ts)
	ts = slices.Compact(ts)
	if slices.Contains(ts, TypeNumber) {
		ts = slices.DeleteFunc(ts, func(s string) bool { return s == TypeInteger })
	}
	return ts
}

func isIntegerLiteral(b []byte) bool {
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// Merge returns the join of two shapes: types united, members united (a
// member is required only when required in both, among the shapes that saw
// objects), formats kept when they agree. Either may be nil (not seen).
// Its inputs are not modified.
func Merge(a, b *Node) *Node {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		return b.Clone()
	case b == nil:
		return a.Clone()
	}
	n := &Node{Truncated: a.Truncated || b.Truncated}
	n.Types = normTypes(append(slices.Clone(a.Types), b.Types...))
	switch as, bs := a.Has(TypeString), b.Has(TypeString); {
	case as && bs:
		if a.Format == b.Format {
			n.Format = a.Format
		}
	case as:
		n.Format = a.Format
	case bs:
		n.Format = b.Format
	}
	n.Items = Merge(a.Items, b.Items)
	ao, bo := a.Has(TypeObject), b.Has(TypeObject)
	i, j := 0, 0
	for i < len(a.Properties) || j < len(b.Properties) {
		if len(n.Properties) == MaxProperties {
			n.Truncated = true
			break
		}
		var p Property
		switch {
		case j >= len(b.Properties) || i < len(a.Properties) && a.Properties[i].Name < b.Properties[j].Name:
			p = a.Properties[i]
			p = Property{Name: p.Name, Required: p.Required && !bo, Node: p.Node.Clone()}
			i++
		case i >= len(a.Properties) || b.Properties[j].Name < a.Properties[i].Name:
			p = b.Properties[j]
			p = Property{Name: p.Name, Required: p.Required && !ao, Node: p.Node.Clone()}
			j++
		default:
			x, y := a.Properties[i], b.Properties[j]
			p = Property{Name: x.Name, Required: x.Required && y.Required, Node: Merge(x.Node, y.Node)}
			i++
			j++
		}
		n.Properties = append(n.Properties, p)
	}
	return n
}

// Clone returns a deep copy.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := &Node{Types: slices.Clone(n.Types), Format: n.Format, Items: n.Items.Clone(), Truncated: n.Truncated}
	if n.Properties != nil {
		c.Properties = make([]Property, len(n.Properties))
		for i, p := range n.Properties {
			c.Properties[i] = Property{Name: p.Name, Required: p.Required, Node: p.Node.Clone()}
		}
	}
	return c
}

// Paths lists the node's member paths ("$.data[*].id"), sorted, for
// comparing two shapes; at most limit (0: no limit).
func (n *Node) Paths(limit int) []string {
	var out []string
	var walk func(n *Node, path string)
	walk = func(n *Node, path string) {
		if n == nil || (limit > 0 && len(out) >= limit) {
			return
		}
		for _, p := range n.Properties {
			c := jsonscan.Child(path, p.Name, false)
			if limit > 0 && len(out) >= limit {
				return
			}
			out = append(out, c)
			walk(p.Node, c)
		}
		if n.Items != nil {
			walk(n.Items, jsonscan.Child(path, "", true))
		}
	}
	walk(n, "$")
	slices.Sort(out)
	return out
}
