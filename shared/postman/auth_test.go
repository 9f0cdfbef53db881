package postman_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

func TestAuthInheritance(t *testing.T) {
	t.Parallel()
	bearer := func(tok string) string {
		return `{"type":"bearer","bearer":[{"key":"token","value":"` + tok + `","type":"string"}]}`
	}
	doc := v21(`
		{"name":"F","auth":`+bearer("folder")+`,"item":[
			{"name":"inherits","request":{"url":"https://h/1"}},
			{"name":"null inherits","request":{"url":"https://h/2","auth":null}},
			{"name":"own","request":{"url":"https://h/3","auth":`+bearer("own")+`}},
			{"name":"noauth","request":{"url":"https://h/4","auth":{"type":"noauth"}}},
			{"name":"G","auth":{"type":"noauth"},"item":[
				{"name":"stopped","request":{"url":"https://h/5"}},
				{"name":"H","item":[{"name":"still stopped","request":{"url":"https://h/6"}}]}
			]},
			{"name":"K","auth":null,"item":[{"name":"null folder inherits","request":{"url":"https://h/7"}}]}
		]},
		{"name":"root","request":{"url":"https://h/8"}}`,
		`,"auth":`+bearer("collection"))
	c := mustParse(t, doc, testOptions())
	require.Equal(t, "bearer", c.Auth.Type)
	want := map[string]string{
		"inherits":             "Bearer folder",
		"null inherits":        "Bearer folder",
		"own":                  "Bearer own",
		"noauth":               "",
		"stopped":              "",
		"still stopped":        "",
		"null folder inherits": "Bearer folder",
		"root":                 "Bearer collection",
	}
	require.Len(t, c.Requests, len(want))
	for _, r := range c.Requests {
		got, _ := header(r.Built.Headers, "Authorization")
		require.Equal(t, want[r.Name], got, r.Name)
		if want[r.Name] == "" {
			require.Nil(t, r.Auth, r.Name)
		} else {
			require.Equal(t, "bearer", r.Auth.Type, r.Name)
		}
	}
}

func TestAuthTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		auth      string
		headers   string // request header array
		vars      string
		wantType  string
		wantHdr   map[string]string // expected headers (absent: "")
		wantQuery string
		params    map[string]string
		unres     []string
	}{
		{
			name:     "bearer, v2.1 array form, overrides a hand-written Authorization",
			auth:     `{"type":"bearer","bearer":[{"key":"token","value":"{{tok}}","type":"string"}]}`,
			headers:  `[{"key":"authorization","value":"Basic old"}]`,
			vars:     `[{"key":"tok","value":"abc"}]`,
			wantType: "bearer",
			wantHdr:  map[string]string{"Authorization": "Bearer abc", "authorization": ""},
			params:   map[string]string{"token": "abc"},
		},
		{
			name:     "bearer, v2.0 object form",
			auth:     `{"type":"bearer","bearer":{"token":"xyz"}}`,
			wantType: "bearer",
			wantHdr:  map[string]string{"Authorization": "Bearer xyz"},
		},
		{
			name:     "bearer with an empty token adds nothing",
			auth:     `{"type":"bearer","bearer":[{"key":"token","value":""}]}`,
			headers:  `[{"key":"Authorization","value":"Bearer handmade"}]`,
			wantType: "bearer",
			wantHdr:  map[string]string{"Authorization": "Bearer handmade"},
		},
		{
			name:     "basic",
			auth:     `{"type":"basic","basic":[{"key":"username","value":"user"},{"key":"password","value":"pass"}]}`,
			wantType: "basic",
			wantHdr:  map[string]string{"Authorization": "Basic dXNlcjpwYXNz"},
		},
		{
			name:     "basic, v2.0 object form with a boolean",
			auth:     `{"type":"basic","basic":{"username":"user","password":"pass","showPassword":false}}`,
			wantType: "basic",
			wantHdr:  map[string]string{"Authorization": "Basic dXNlcjpwYXNz"},
			params:   map[string]string{"username": "user", "password": "pass", "showPassword": "false"},
		},
		{
			name:     "apikey in a header",
			auth:     `{"type":"apikey","apikey":[{"key":"key","value":"X-API-Key"},{"key":"value","value":"{{k}}"}]}`,
			headers:  `[{"key":"x-api-key","value":"stale"}]`,
			vars:     `[{"key":"k","value":"secret"}]`,
			wantType: "apikey",
			wantHdr:  map[string]string{"X-API-Key": "secret", "x-api-key": ""},
		},
		{
			name:      "apikey in the query",
			auth:      `{"type":"apikey","apikey":[{"key":"in","value":"query"},{"key":"key","value":"api_key"},{"key":"value","value":"s"}]}`,
			wantType:  "apikey",
			wantQuery: "?a=1&api_key=s",
		},
		{
			name:     "oauth2, header with the default prefix",
			auth:     `{"type":"oauth2","oauth2":{"accessToken":"{{ctp}}","addTokenTo":"header","tokenType":"Bearer","clientSecret":"{{secret}}"}}`,
			vars:     `[{"key":"ctp","value":"T1"}]`,
			wantType: "oauth2",
			wantHdr:  map[string]string{"Authorization": "Bearer T1"},
			unres:    nil, // clientSecret is not used to send the request
		},
		{
			name:     "oauth2, custom prefix",
			auth:     `{"type":"oauth2","oauth2":[{"key":"accessToken","value":"T2"},{"key":"headerPrefix","value":"Token"}]}`,
			wantType: "oauth2",
			wantHdr:  map[string]string{"Authorization": "Token T2"},
		},
		{
			name:      "oauth2, token in the query",
			auth:      `{"type":"oauth2","oauth2":[{"key":"accessToken","value":"T3"},{"key":"addTokenTo","value":"queryParams"}]}`,
			wantType:  "oauth2",
			wantQuery: "?a=1&access_token=T3",
			wantHdr:   map[string]string{"Authorization": ""},
		},
		{
			name:     "oauth1 is recorded, signed at send time",
			auth:     `{"type":"oauth1","oauth1":[{"key":"consumerKey","value":"{{ck}}"},{"key":"addParamsToHeader","value":true}]}`,
			wantType: "oauth1",
			wantHdr:  map[string]string{"Authorization": ""},
			params:   map[string]string{"consumerKey": "{{ck}}", "addParamsToHeader": "true"},
			unres:    []string{"ck"},
		},
		{
			name:     "digest is recorded",
			auth:     `{"type":"digest","digest":{"username":"u","password":"p"}}`,
			wantType: "digest",
			wantHdr:  map[string]string{"Authorization": ""},
		},
		{
			name:     "awsv4 is recorded",
			auth:     `{"type":"awsv4","awsv4":[{"key":"accessKey","value":"AK"},{"key":"region","value":"eu-west-1"}]}`,
			wantType: "awsv4",
			params:   map[string]string{"accessKey": "AK", "region": "eu-west-1"},
		},
		{
			name:     "unknown types never fail",
			auth:     `{"type":"quantum","quantum":[{"key":"entangled","value":"yes"}]}`,
			wantType: "quantum",
			params:   map[string]string{"entangled": "yes"},
		},
		{
			name:     "params given for another type are ignored",
			auth:     `{"type":"hawk","bearer":[{"key":"token","value":"x"}]}`,
			wantType: "hawk",
			params:   map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hdr := tt.headers
			if hdr == "" {
				hdr = "[]"
			}
			extra := ""
			if tt.vars != "" {
				extra = `,"variable":` + tt.vars
			}
			r := only(t, v21(`{"name":"r","request":{"url":"https://h/x?a=1","header":`+hdr+`,"auth":`+tt.auth+`}}`, extra), testOptions())
			require.Empty(t, r.Invalid)
			require.NotNil(t, r.Auth)
			require.Equal(t, tt.wantType, r.Auth.Type)
			for k, v := range tt.wantHdr {
				got, _ := header(r.Built.Headers, k)
				require.Equal(t, v, got, "header %s in %v", k, r.Built.Headers)
			}
			if tt.wantQuery != "" {
				require.Equal(t, "https://h/x"+tt.wantQuery, r.Built.URL.Raw)
			} else {
				require.Equal(t, "https://h/x?a=1", r.Built.URL.Raw)
			}
			if tt.params != nil {
				require.Equal(t, tt.params, r.Auth.Params)
			}
			require.Equal(t, tt.unres, r.Unresolved)
		})
	}
}

func TestCollectionAuthRecorded(t *testing.T) {
	t.Parallel()
	c := mustParse(t, v21(`{"name":"r","request":"https://h/x"}`, `,"auth":{"type":"noauth"}`), testOptions())
	require.Equal(t, &postman.Auth{Type: "noauth"}, c.Auth)
	require.Nil(t, c.Requests[0].Auth)

	c = mustParse(t, v21(`{"name":"r","request":"https://h/x"}`, ""), testOptions())
	require.Nil(t, c.Auth)
}

func TestMalformedFolderAuthInvalidatesInheritors(t *testing.T) {
	t.Parallel()
	doc := v21(`{"name":"F","auth":"bearer","item":[
		{"name":"inherits","request":"https://h/1"},
		{"name":"own","request":{"url":"https://h/2","auth":{"type":"noauth"}}}]}`, "")
	c := mustParse(t, doc, testOptions())
	require.Len(t, c.Requests, 2)
	require.Equal(t, `folder "F" auth is a string, want an object`, c.Requests[0].Invalid)
	require.Empty(t, c.Requests[1].Invalid)
}
