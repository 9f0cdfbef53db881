package jsonscan_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/jsonscan"
)

type tok struct {
	Kind jsonscan.Kind
	Text string
	Path string
}

func tokens(t *testing.T, in string) []tok {
	t.Helper()
	d := jsonscan.NewDecoder([]byte(in))
	var out []tok
	for {
		tk, err := d.Next()
		require.NoError(t, err)
		if tk.Kind == 0 {
			return out
		}
		out = append(out, tok{tk.Kind, d.Text(tk), d.Path()})
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	got := tokens(t, ` {"a": [1, {"b c": "x\"y"}, []], "d": null, "e": true, "f": -1.5e3, "g": {}} `)
	want := []tok{
		{jsonscan.BeginObject, "{", "$"},
		{jsonscan.Key, "a", "$.a"},
		{jsonscan.BeginArray, "[", "$.a"},
		{jsonscan.Number, "1", "$.a[*]"},
		{jsonscan.BeginObject, "{", "$.a[*]"},
		{jsonscan.Key, "b c", "$.a[*]['b c']"},
		{jsonscan.String, `x"y`, "$.a[*]['b c']"},
		{jsonscan.EndObject, "}", "$.a[*]"},
		{jsonscan.BeginArray, "[", "$.a[*]"},
		{jsonscan.EndArray, "]", "$.a[*]"},
		{jsonscan.EndArray, "]", "$.a"},
		{jsonscan.Key, "d", "$.d"},
		{jsonscan.Null, "null", "$.d"},
		{jsonscan.Key, "e", "$.e"},
		{jsonscan.True, "true", "$.e"},
		{jsonscan.Key, "f", "$.f"},
		{jsonscan.Number, "-1.5e3", "$.f"},
		{jsonscan.Key, "g", "$.g"},
		{jsonscan.BeginObject, "{", "$.g"},
		{jsonscan.EndObject, "}", "$.g"},
		{jsonscan.EndObject, "}", "$"},
	}
	require.Equal(t, want, got)
	require.Equal(t, []tok{{jsonscan.String, "top", "$"}}, tokens(t, `"top"`))
	require.Equal(t, []tok{{jsonscan.BeginArray, "[", "$"}, {jsonscan.EndArray, "]", "$"}}, tokens(t, `[]`))
}

func TestValidAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		``, ` `, `{}`, `[]`, `[1,2]`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{1:2}`, `{"a":1 "b":2}`,
		`"x`, `"x\"`, `"x\\"`, `"\\\""`, `01`, `-`, `1.`, `.5`, `1e`, `1e+5`, `-0.0E-1`, `tru`, `true false`,
		`nul`, `null`, `{"a":[{"b":[]}]}`, `[[[[]]]]`, `[[[[]]]`, `{"a":{"b":{}}}}`, `"\u00e9"`, `  [ 1 , "a" ]  `,
		`{} {}`, `[1] x`, `{"a":1}`, `{"":""}`,
	} {
		require.Equal(t, json.Valid([]byte(in)), jsonscan.Valid([]byte(in)), "%q", in)
	}
}

func TestSyntaxError(t *testing.T) {
	t.Parallel()
	d := jsonscan.NewDecoder([]byte(`{"a": x}`))
	var err error
	for err == nil {
		var tk jsonscan.Token
		tk, err = d.Next()
		require.True(t, err != nil || tk.Kind != 0)
	}
	var se *jsonscan.SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 6, se.Offset)
	require.True(t, errors.Is(err, jsonscan.ErrSyntax))
}

func TestSkip(t *testing.T) {
	t.Parallel()
	d := jsonscan.NewDecoder([]byte(`{"a":{"b":[1,{"c":2}]},"d":3}`))
	_, _ = d.Next() // {
	_, _ = d.Next() // a
	tk, _ := d.Next()
	require.NoError(t, d.Skip(tk))
	k, _ := d.Next()
	require.Equal(t, "d", d.Text(k))
	require.Equal(t, 1, d.Depth())
}

func TestDeepNesting(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	require.True(t, jsonscan.Valid([]byte(in)), "no recursion, no stack limit")
}

func TestPathsAndHelpers(t *testing.T) {
	t.Parallel()
	require.Equal(t, "$.a['x.y']", jsonscan.Child("$.a", "x.y", false))
	require.Equal(t, "$.a[*]", jsonscan.Child("$.a", "", true))
	require.Equal(t, `$['it\'s']`, jsonscan.Child("$", "it's", false))
	require.True(t, jsonscan.LooksLikeJSON([]byte("\n  {")))
	require.False(t, jsonscan.LooksLikeJSON([]byte("<xml/>")))
	require.False(t, jsonscan.LooksLikeJSON(nil))
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"x\"y"`, `[1e5,-0.1]`, `{`, `[}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if json.Valid(data) {
			require.True(t, jsonscan.Valid(data), "%q", data)
			return
		}
		if jsonscan.Valid(data) {
			// The tokenizer is lenient only inside strings: control
			// characters, escapes and UTF-8 are not checked.
			require.True(t, !utf8.Valid(data) || strings.ContainsFunc(string(data), func(r rune) bool { return r < 0x20 || r == '\\' }), "%q", data)
		}
	})
}
