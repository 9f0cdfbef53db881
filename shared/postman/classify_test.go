package postman_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

func TestHandlingOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		auth *postman.Auth
		want postman.AuthHandling
	}{
		{nil, postman.AuthNone},
		{&postman.Auth{Type: "noauth"}, postman.AuthNone},
		{&postman.Auth{Type: "bearer"}, postman.AuthApplied},
		{&postman.Auth{Type: "basic"}, postman.AuthApplied},
		{&postman.Auth{Type: "apikey"}, postman.AuthApplied},
		{&postman.Auth{Type: "oauth2"}, postman.AuthApplied},
		{&postman.Auth{Type: "oauth1"}, postman.AuthAtSend},
		{&postman.Auth{Type: "digest"}, postman.AuthAtSend},
		{&postman.Auth{Type: "awsv4"}, postman.AuthAtSend},
		{&postman.Auth{Type: "hawk"}, postman.AuthUnsupported},
		{&postman.Auth{Type: "ntlm"}, postman.AuthUnsupported},
		{&postman.Auth{Type: "edgegrid"}, postman.AuthUnsupported},
		{&postman.Auth{Type: "jwt"}, postman.AuthUnsupported},
		{&postman.Auth{Type: "asap"}, postman.AuthUnsupported},
		{&postman.Auth{Type: "something-new"}, postman.AuthUnsupported},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, postman.HandlingOf(tt.auth), "%+v", tt.auth)
	}
}

func TestStatusClass(t *testing.T) {
	t.Parallel()
	tests := map[int]string{0: "unknown", 100: "unknown", 200: "2xx", 204: "2xx", 301: "3xx", 404: "4xx", 499: "4xx", 500: "5xx", 599: "5xx", 600: "unknown", -1: "unknown"}
	for status, want := range tests {
		require.Equal(t, want, postman.StatusClass(status), status)
	}
}
