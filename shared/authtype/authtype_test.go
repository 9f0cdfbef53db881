package authtype_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/authtype"
)

const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln"

func TestDetect(t *testing.T) {
	t.Parallel()
	h := func(kv ...string) []authtype.KV {
		var out []authtype.KV
		for i := 0; i < len(kv); i += 2 {
			out = append(out, authtype.KV{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		req  authtype.Request
		want []authtype.Evidence
	}{
		{"nothing", authtype.Request{}, []authtype.Evidence{{Type: authtype.Unauthenticated, In: authtype.InNone}}},
		{"noauth declared", authtype.Request{Declared: "noauth"}, []authtype.Evidence{{Type: authtype.Unauthenticated, In: authtype.InNone}}},
		{"bearer", authtype.Request{Headers: h("Authorization", "Bearer abc123")},
			[]authtype.Evidence{{Type: authtype.Bearer, In: authtype.InHeader, Name: "Authorization", Scheme: "Bearer"}}},
		{"bearer jwt", authtype.Request{Headers: h("authorization", "bearer "+jwt)},
			[]authtype.Evidence{{Type: authtype.JWT, In: authtype.InHeader, Name: "authorization", Scheme: "bearer"}}},
		{"redacted bearer keeps its scheme", authtype.Request{Headers: h("Authorization", "Bearer [REDACTED]")},
			[]authtype.Evidence{{Type: authtype.Bearer, In: authtype.InHeader, Name: "Authorization", Scheme: "Bearer"}}},
		{"basic", authtype.Request{Headers: h("Authorization", "Basic dXNlcjpwdw==")},
			[]authtype.Evidence{{Type: authtype.Basic, In: authtype.InHeader, Name: "Authorization", Scheme: "Basic"}}},
		{"digest", authtype.Request{Headers: h("Authorization", `Digest username="u"`)},
			[]authtype.Evidence{{Type: authtype.Digest, In: authtype.InHeader, Name: "Authorization", Scheme: "Digest"}}},
		{"oauth1", authtype.Request{Headers: h("Authorization", `OAuth oauth_consumer_key="k"`)},
			[]authtype.Evidence{{Type: authtype.OAuth1, In: authtype.InHeader, Name: "Authorization", Scheme: "OAuth"}}},
		{"sigv4", authtype.Request{Headers: h("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/x")},
			[]authtype.Evidence{{Type: authtype.AWSSigV4, In: authtype.InHeader, Name: "Authorization", Scheme: "AWS4-HMAC-SHA256"}}},
		{"hawk", authtype.Request{Headers: h("Authorization", `Hawk id="x"`)},
			[]authtype.Evidence{{Type: authtype.Other, In: authtype.InHeader, Name: "Authorization", Scheme: "Hawk"}}},
		{"bare key in authorization", authtype.Request{Headers: h("Authorization", "sk_live_123")},
			[]authtype.Evidence{{Type: authtype.APIKey, In: authtype.InHeader, Name: "Authorization"}}},
		{"api key header", authtype.Request{Headers: h("X-API-Key", "{{key}}")},
			[]authtype.Evidence{{Type: authtype.APIKey, In: authtype.InHeader, Name: "X-API-Key"}}},
		{"subscription key header", authtype.Request{Headers: h("Ocp-Apim-Subscription-Key", "k")},
			[]authtype.Evidence{{Type: authtype.APIKey, In: authtype.InHeader, Name: "Ocp-Apim-Subscription-Key"}}},
		{"token header holding a jwt", authtype.Request{Headers: h("X-Auth-Token", jwt)},
			[]authtype.Evidence{{Type: authtype.JWT, In: authtype.InHeader, Name: "X-Auth-Token"}}},
		{"csrf token is not auth", authtype.Request{Headers: h("X-CSRF-Token", "x", "Content-Type", "application/json")},
			[]authtype.Evidence{{Type: authtype.Unauthenticated, In: authtype.InNone}}},
		{"session cookie", authtype.Request{Headers: h("Cookie", "theme=dark; JSESSIONID=abc; connect.sid=x")},
			[]authtype.Evidence{{Type: authtype.Cookie, In: authtype.InCookie, Name: "JSESSIONID"}, {Type: authtype.Cookie, In: authtype.InCookie, Name: "connect.sid"}}},
		{"plain cookie is not auth", authtype.Request{Headers: h("Cookie", "theme=dark")},
			[]authtype.Evidence{{Type: authtype.Unauthenticated, In: authtype.InNone}}},
		{"api key in query", authtype.Request{Query: []authtype.KV{{Name: "api_key", Value: "k"}, {Name: "limit", Value: "1"}}},
			[]authtype.Evidence{{Type: authtype.APIKey, In: authtype.InQuery, Name: "api_key"}}},
		{"access token in query", authtype.Request{Query: []authtype.KV{{Name: "access_token", Value: "x"}}},
			[]authtype.Evidence{{Type: authtype.Bearer, In: authtype.InQuery, Name: "access_token"}}},
		{"presigned url", authtype.Request{Query: []authtype.KV{{Name: "X-Amz-Signature", Value: "x"}}},
			[]authtype.Evidence{{Type: authtype.AWSSigV4, In: authtype.InQuery, Name: "X-Amz-Signature"}}},
		{"oauth1 in query", authtype.Request{Query: []authtype.KV{{Name: "oauth_signature", Value: "x"}}},
			[]authtype.Evidence{{Type: authtype.OAuth1, In: authtype.InQuery, Name: "oauth_signature"}}},
		{"declared oauth1 not applied statically", authtype.Request{Declared: "oauth1"},
			[]authtype.Evidence{{Type: authtype.OAuth1, In: authtype.InPostman, Name: "oauth1"}}},
		{"declared bearer with its header: header evidence only", authtype.Request{Declared: "bearer", Headers: h("Authorization", "Bearer x")},
			[]authtype.Evidence{{Type: authtype.Bearer, In: authtype.InHeader, Name: "Authorization", Scheme: "Bearer"}}},
		{"declared bearer sent as a jwt", authtype.Request{Declared: "bearer", Headers: h("Authorization", "Bearer "+jwt)},
			[]authtype.Evidence{{Type: authtype.JWT, In: authtype.InHeader, Name: "Authorization", Scheme: "Bearer"}}},
		{"declared bearer holding a jwt", authtype.Request{Declared: "bearer", DeclaredParams: map[string]string{"token": jwt}},
			[]authtype.Evidence{{Type: authtype.JWT, In: authtype.InPostman, Name: "bearer"}}},
		{"declared oauth2", authtype.Request{Declared: "oauth2"}, []authtype.Evidence{{Type: authtype.Bearer, In: authtype.InPostman, Name: "oauth2"}}},
		{"declared unknown", authtype.Request{Declared: "custom"}, []authtype.Evidence{{Type: authtype.Other, In: authtype.InPostman, Name: "custom"}}},
		{"several", authtype.Request{Headers: h("X-Api-Key", "k", "Authorization", "Bearer t"), Declared: "awsv4"},
			[]authtype.Evidence{
				{Type: authtype.APIKey, In: authtype.InHeader, Name: "X-Api-Key"},
				{Type: authtype.AWSSigV4, In: authtype.InPostman, Name: "awsv4"},
				{Type: authtype.Bearer, In: authtype.InHeader, Name: "Authorization", Scheme: "Bearer"},
			}},
		{"empty authorization", authtype.Request{Headers: h("Authorization", " ")}, []authtype.Evidence{{Type: authtype.Unauthenticated, In: authtype.InNone}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, authtype.Detect(tt.req))
		})
	}
}

func TestMergeAndTypes(t *testing.T) {
	t.Parallel()
	a := authtype.Detect(authtype.Request{Headers: []authtype.KV{{Name: "Authorization", Value: "Bearer x"}}})
	b := authtype.Detect(authtype.Request{})
	m := authtype.Merge(a, b)
	require.Equal(t, m, authtype.Merge(b, a))
	require.Equal(t, m, authtype.Merge(m, a))
	require.Equal(t, []authtype.Type{authtype.Bearer, authtype.Unauthenticated}, authtype.Types(m))
	require.Nil(t, authtype.Merge(nil, nil))
	var many []authtype.Evidence
	for i := range 30 {
		many = append(many, authtype.Evidence{Type: authtype.APIKey, In: authtype.InHeader, Name: string(rune('a' + i))})
	}
	require.Len(t, authtype.Merge(many, nil), authtype.MaxEvidence)
}
