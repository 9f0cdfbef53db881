package postman_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

func TestVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		vars       string // collection "variable" array
		env, glob  []postman.Variable
		url        string
		wantURL    string
		unresolved []string
		hostUnres  []string
	}{
		{
			name:    "collection variable",
			vars:    `[{"key":"base","value":"https://api.example.com"}]`,
			url:     "{{base}}/users",
			wantURL: "https://api.example.com/users",
		},
		{
			name:       "exact syntax: spaces are part of the name",
			vars:       `[{"key":"b","value":"x"}]`,
			url:        "https://h/{{ b }}/{{b}}",
			wantURL:    "https://h/{{ b }}/x",
			unresolved: []string{" b "},
		},
		{
			name:    "environment wins over collection, collection over globals",
			vars:    `[{"key":"a","value":"coll"},{"key":"b","value":"coll"}]`,
			env:     []postman.Variable{{Key: "a", Value: "env"}},
			glob:    []postman.Variable{{Key: "a", Value: "glob"}, {Key: "b", Value: "glob"}, {Key: "c", Value: "glob"}},
			url:     "https://h/{{a}}/{{b}}/{{c}}",
			wantURL: "https://h/env/coll/glob",
		},
		{
			name:    "disabled variables are ignored",
			vars:    `[{"key":"a","value":"coll"},{"key":"b","value":"off","disabled":true}]`,
			env:     []postman.Variable{{Key: "a", Value: "env", Disabled: true}},
			glob:    []postman.Variable{{Key: "b", Value: "glob"}},
			url:     "https://h/{{a}}/{{b}}",
			wantURL: "https://h/coll/glob",
		},
		{
			name:    "a variable with an id and no key is named by its id",
			vars:    `[{"id":"baseUrl","value":"https://api.stripe.com/","type":"string"}]`,
			url:     "{{baseUrl}}v1/charges",
			wantURL: "https://api.stripe.com/v1/charges",
		},
		{
			name:    "nested values resolve",
			vars:    `[{"key":"url","value":"{{scheme}}://{{host}}"},{"key":"scheme","value":"https"},{"key":"host","value":"{{sub}}.example.com"},{"key":"sub","value":"api"}]`,
			url:     "{{url}}/x",
			wantURL: "https://api.example.com/x",
		},
		{
			name:       "a cycle ends after the pass limit",
			vars:       `[{"key":"a","value":"{{b}}"},{"key":"b","value":"{{a}}"}]`,
			url:        "https://h/{{a}}",
			wantURL:    "https://h/{{b}}",
			unresolved: []string{"b"},
		},
		{
			name:       "unresolved names are recorded, host ones apart",
			url:        "https://{{host}}:{{port}}/x/{{id}}?q={{q}}",
			wantURL:    "https://{{host}}:{{port}}/x/{{id}}?q={{q}}",
			unresolved: []string{"host", "id", "port", "q"},
			hostUnres:  []string{"host", "port"},
		},
		{
			name:    "non-string values",
			vars:    `[{"key":"n","value":42},{"key":"b","value":true}]`,
			url:     "https://h/{{n}}/{{b}}",
			wantURL: "https://h/42/true",
		},
		{
			name:    "defined but empty resolves to empty",
			vars:    `[{"key":"e","value":""}]`,
			url:     "https://h/a{{e}}b",
			wantURL: "https://h/ab",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			extra := ""
			if tt.vars != "" {
				extra = `,"variable":` + tt.vars
			}
			opts := testOptions()
			opts.Environment, opts.Globals = tt.env, tt.glob
			r := only(t, v21(`{"name":"r","request":{"url":"`+tt.url+`"}}`, extra), opts)
			require.Equal(t, tt.wantURL, r.Built.URL.Raw)
			require.Equal(t, tt.unresolved, r.Unresolved)
			require.Equal(t, tt.hostUnres, r.HostUnresolved)
		})
	}
}

func TestVariablesPassLimit(t *testing.T) {
	t.Parallel()
	// v0 -> v1 -> ... -> v20: 19 passes resolve v0..v18, so {{v19}} stays.
	vars := `[`
	for i := range 20 {
		vars += `{"key":"v` + strconv.Itoa(i) + `","value":"{{v` + strconv.Itoa(i+1) + `}}"},`
	}
	vars += `{"key":"v20","value":"end"}]`
	r := only(t, v21(`{"name":"r","request":"https://h/{{v0}}"}`, `,"variable":`+vars), testOptions())
	require.Equal(t, "https://h/{{v19}}", r.Built.URL.Raw)
	require.Equal(t, []string{"v19"}, r.Unresolved)

	r = only(t, v21(`{"name":"r","request":"https://h/{{v2}}"}`, `,"variable":`+vars), testOptions())
	require.Equal(t, "https://h/end", r.Built.URL.Raw)
}

func TestDynamicVariables(t *testing.T) {
	t.Parallel()
	doc := v21(`{"name":"r","request":{"url":"https://h/x","method":"POST","body":{"mode":"raw","raw":"{{$guid}} {{$guid}} {{$randomUUID}} {{$timestamp}} {{$isoTimestamp}} {{$randomInt}} {{$randomEmail}} {{$randomFirstName}} {{$randomLastName}} {{$randomPhoneNumber}} {{$randomWord}} {{$randomWords}} {{$randomLoremSentences}} {{$randomCompanyName}} {{$randomProductName}} {{$randomDateRecent}} {{$randomFileName}} {{$randomBankAccount}} {{$randomJobArea}} {{$randomDepartment}} {{$randomAdjective}} {{$unknownThing}}"}}}`, "")
	r1 := only(t, doc, testOptions())
	r2 := only(t, doc, testOptions())
	raw := r1.Built.Body.Raw
	require.Equal(t, raw, r2.Built.Body.Raw, "same seed and clock, same values")
	require.Equal(t, []string{"$unknownThing"}, r1.Unresolved)

	uuid := `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	re := regexp.MustCompile(`^(` + uuid + `) (` + uuid + `) (` + uuid + `) (\d+) (\S+) (\d+) (\S+@\S+) `)
	m := re.FindStringSubmatch(raw)
	require.NotNil(t, m, raw)
	require.NotEqual(t, m[1], m[2], "fresh at each occurrence")
	require.Equal(t, strconv.FormatInt(fixedNow.Unix(), 10), m[4])
	require.Equal(t, "2025-03-04T05:06:07.000Z", m[5])
	n, err := strconv.Atoi(m[6])
	require.NoError(t, err)
	require.True(t, n >= 0 && n <= 1000)
	require.NotContains(t, raw, "{{$random")

	other := testOptions()
	other.Rand = nil // non-deterministic source
	r3 := only(t, doc, other)
	require.NotEqual(t, raw, r3.Built.Body.Raw)
}

func TestSetByScript(t *testing.T) {
	t.Parallel()
	doc := v21(`
		{"name":"login","event":[{"listen":"test","script":{"exec":["var j = pm.response.json();","pm.environment.set(\"token\", j.token);","pm.collectionVariables.set('userId', j.id)"]}}],
		 "request":"https://h/login"},
		{"name":"me","event":[{"listen":"prerequest","script":{"exec":"pm.variables.set(`+"`"+`nonce`+"`"+`, 1); postman.setEnvironmentVariable(\"legacy\", 2)"}}],
		 "request":{"url":"https://h/users/{{userId}}?n={{nonce}}","header":[{"key":"Authorization","value":"Bearer {{token}}"},{"key":"X","value":"{{other}}"}]}}`,
		`,"event":[{"listen":"prerequest","script":{"exec":["pm.globals.set(\"fromCollection\", 1)"]}}]`)
	c := mustParse(t, doc, testOptions())
	require.Equal(t, []string{"fromCollection", "legacy", "nonce", "token", "userId"}, c.SetByScript)
	me := c.Requests[1]
	require.Equal(t, []string{"nonce", "other", "token", "userId"}, me.Unresolved)
	require.Equal(t, []string{"nonce", "token", "userId"}, me.SetByScript)
	require.Empty(t, c.Requests[0].SetByScript)
}
