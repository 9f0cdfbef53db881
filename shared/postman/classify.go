package postman

// AuthHandling says who applies an auth type when a request is sent.
type AuthHandling int

const (
	// AuthNone: no auth ("noauth" or none declared).
	AuthNone AuthHandling = iota
	// AuthApplied: bearer, basic, apikey, oauth2 (stored token); Parse has
	// already applied it to BuiltRequest.
	AuthApplied
	// AuthAtSend: oauth1 (signature), digest (server challenge), awsv4
	// (SigV4); the sender must apply it from Auth.Params.
	AuthAtSend
	// AuthUnsupported: hawk, ntlm, edgegrid, jwt, asap and unknown types;
	// recorded only. A replay needing one is skipped as
	// "unsupported_auth:<type>".
	AuthUnsupported
)

// HandlingOf classifies an auth (nil means none).
func HandlingOf(a *Auth) AuthHandling {
	if a == nil {
		return AuthNone
	}
	switch a.Type {
	case "", "noauth":
		return AuthNone
	case "bearer", "basic", "apikey", "oauth2":
		return AuthApplied
	case "oauth1", "digest", "awsv4":
		return AuthAtSend
	}
	return AuthUnsupported
}

// StatusClass is the class of a saved response status for reporting:
// "2xx", "3xx", "4xx", "5xx", or "unknown" (no status, or outside 200-599).
func StatusClass(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 300 && status < 400:
		return "3xx"
	case status >= 400 && status < 500:
		return "4xx"
	case status >= 500 && status < 600:
		return "5xx"
	}
	return "unknown"
}
