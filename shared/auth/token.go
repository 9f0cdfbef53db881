// Package auth makes and checks apiscout API tokens. Tokens are random,
// shown once, and stored only as a SHA-256 hash.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every token apiscout issues, so a leaked one is easy to
// recognise in logs or code.
const TokenPrefix = "aps_"

// NewToken returns a fresh token with 256 bits of randomness.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is the form in which a token is stored and looked up.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// BearerToken extracts the token from an Authorization header value; ok is
// false when the header is not "Bearer <token>".
func BearerToken(header string) (string, bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
