package replay

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

// TestOAuth1KnownVector uses the signed request of X's (Twitter's) OAuth 1.0a
// documentation.
func TestOAuth1KnownVector(t *testing.T) {
	t.Parallel()
	body := "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21"
	req, err := http.NewRequest("POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a := &postman.Auth{Type: "oauth1", Params: map[string]string{
		"consumerKey":     "xvz1evFS4wEEPTGEFPHBog",
		"consumerSecret":  "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
		"token":           "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
		"tokenSecret":     "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
		"signatureMethod": "HMAC-SHA1",
		"timestamp":       "1318622958",
		"nonce":           "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
	}}
	require.NoError(t, Signer{}.Sign(context.Background(), req, a, []byte(body)))
	h := req.Header.Get("Authorization")
	require.True(t, strings.HasPrefix(h, "OAuth "), h)
	require.Contains(t, h, `oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"`)

	q, err := http.NewRequest("GET", "https://api.example.com/x?a=1", nil)
	require.NoError(t, err)
	a.Params["addParamsToHeader"] = "false"
	require.NoError(t, Signer{}.Sign(context.Background(), q, a, nil))
	require.NotEmpty(t, q.URL.Query().Get("oauth_signature"))
	require.Empty(t, q.Header.Get("Authorization"))
}

// TestDigestKnownVector is RFC 2617's example.
func TestDigestKnownVector(t *testing.T) {
	t.Parallel()
	h, err := DigestAuthorization(map[string]string{"username": "Mufasa", "password": "Circle Of Life"},
		`Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		"GET", "/dir/index.html", "0a4f113b")
	require.NoError(t, err)
	require.Contains(t, h, `response="6629fae49393a05397450978507c4ef1"`)
	require.Contains(t, h, `opaque="5ccc069c403ebaf9f0171e9517f40e41"`)

	_, err = DigestAuthorization(nil, `Basic realm="x"`, "GET", "/", "c")
	require.Error(t, err)
	_, err = DigestAuthorization(nil, `Digest realm="x", nonce="n", algorithm=SHA-512-256`, "GET", "/", "c")
	require.Error(t, err)
}

func TestAWSv4(t *testing.T) {
	t.Parallel()
	req, err := http.NewRequest("GET", "https://example.execute-api.us-east-1.amazonaws.com/prod/items", nil)
	require.NoError(t, err)
	a := &postman.Auth{Type: "awsv4", Params: map[string]string{"accessKey": "AKIDEXAMPLE", "secretKey": "secret", "region": "eu-west-1", "service": "execute-api"}}
	s := Signer{Now: func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) }}
	require.NoError(t, s.Sign(context.Background(), req, a, nil))
	require.True(t, strings.HasPrefix(req.Header.Get("Authorization"),
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/execute-api/aws4_request"), req.Header.Get("Authorization"))
	require.Equal(t, "20150830T123600Z", req.Header.Get("X-Amz-Date"))
}
