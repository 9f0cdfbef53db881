package postman

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Variable is a collection, environment or global variable.
type Variable struct {
	Key, Value string
	// Disabled variables are ignored when resolving (Postman's
	// "disabled": true, or "enabled": false in an environment).
	Disabled bool
}

// MaxResolvePasses is how many times a string is re-scanned for {{name}}
// references, so that variables whose values hold references resolve too.
// Postman stops after 19 passes; reference cycles end there.
const MaxResolvePasses = 19

// resolver substitutes {{name}} references. Scopes are merged once,
// narrowest wins: environment over collection variables over globals.
type resolver struct {
	vars   map[string]string
	rnd    *rand.Rand
	now    func() time.Time
	budget int // bytes substitution may still add
	max    int // MaxExpansion, for the error
	err    error
}

func newResolver(globals, collection, environment []Variable, rnd *rand.Rand, now func() time.Time, maxExpansion int) *resolver {
	r := &resolver{
		vars:   make(map[string]string, len(globals)+len(collection)+len(environment)),
		rnd:    rnd,
		now:    now,
		budget: maxExpansion,
		max:    maxExpansion,
	}
	for _, scope := range [][]Variable{globals, collection, environment} {
		for _, v := range scope {
			if v.Disabled || v.Key == "" {
				continue
			}
			r.vars[v.Key] = v.Value // later declarations win within a scope
		}
	}
	return r
}

// nameSet is an insertion-ordered set of variable names; it indexes itself
// once it grows past a few names.
type nameSet struct {
	list []string
	idx  map[string]struct{}
}

func (n *nameSet) add(s string) {
	if s == "" {
		return
	}
	if n.idx != nil {
		if _, ok := n.idx[s]; ok {
			return
		}
		n.idx[s] = struct{}{}
	} else {
		if slices.Contains(n.list, s) {
			return
		}
		if len(n.list) >= 16 {
			n.idx = make(map[string]struct{}, 2*len(n.list))
			for _, x := range n.list {
				n.idx[x] = struct{}{}
			}
			n.idx[s] = struct{}{}
		}
	}
	n.list = append(n.list, s)
}

func (n *nameSet) len() int { return len(n.list) }

func (n *nameSet) sorted() []string {
	if len(n.list) == 0 {
		return nil
	}
	out := slices.Clone(n.list)
	slices.Sort(out)
	return out
}

// lookup finds a variable: declared ones first, then dynamic ones.
func (r *resolver) lookup(name string) (string, bool) {
	if v, ok := r.vars[name]; ok {
		return v, true
	}
	if len(name) > 1 && name[0] == '$' {
		if gen, ok := dynamicVars[name]; ok {
			return gen(r), true
		}
	}
	return "", false
}

// resolve returns s with every resolvable {{name}} replaced, re-scanning up
// to MaxResolvePasses times, and adds the names still unresolved to un (when
// un is not nil). It does not allocate when s holds no reference.
func (r *resolver) resolve(s string, un *nameSet) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	for range MaxResolvePasses {
		if r.err != nil {
			break
		}
		next, changed := r.pass(s)
		if !changed {
			break
		}
		s = next
	}
	if un != nil {
		scanRefs(s, func(name string) { un.add(name) })
	}
	return s
}

// pass replaces every resolvable reference once, scanning left to right like
// Postman's /\{\{([^{}]*?)}}/g.
func (r *resolver) pass(s string) (string, bool) {
	var b strings.Builder
	last := 0
	changed := false
	for i := 0; i+3 < len(s); {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			break
		}
		i += j
		k := i + 2
		for k < len(s) && s[k] != '{' && s[k] != '}' {
			k++
		}
		if k+1 >= len(s) || s[k] != '}' || s[k+1] != '}' {
			i++
			continue
		}
		v, ok := r.lookup(s[i+2 : k])
		if ok {
			if !changed {
				b.Grow(len(s) + len(v))
			}
			b.WriteString(s[last:i])
			b.WriteString(v)
			last = k + 2
			changed = true
			if b.Len()-last > r.budget {
				r.err = &LimitError{Limit: "variable expansion", Max: r.max}
				return s, false
			}
		}
		i = k + 2
	}
	if !changed {
		return s, false
	}
	b.WriteString(s[last:])
	out := b.String()
	if grow := len(out) - len(s); grow > 0 {
		r.budget -= grow
		if r.budget < 0 {
			r.err = &LimitError{Limit: "variable expansion", Max: r.max}
			return s, false
		}
	}
	return out, true
}

// scanRefs calls f with the name of every {{name}} reference in s.
func scanRefs(s string, f func(string)) {
	for i := 0; i+3 < len(s); {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			return
		}
		i += j
		k := i + 2
		for k < len(s) && s[k] != '{' && s[k] != '}' {
			k++
		}
		if k+1 >= len(s) || s[k] != '}' || s[k+1] != '}' {
			i++
			continue
		}
		f(s[i+2 : k])
		i = k + 2
	}
}

// hasRef reports whether s still holds a {{name}} reference.
func hasRef(s string) bool {
	found := false
	if strings.Contains(s, "{{") {
		scanRefs(s, func(string) { found = true })
	}
	return found
}
