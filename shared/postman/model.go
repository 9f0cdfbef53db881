// Package postman reads Postman collections (schema v1.0, v2.0 and v2.1) and
// environments and turns every request item into a fully built request: the
// one Postman itself (postman-runtime / Newman) would send, with variables
// resolved, auth inherited and bodies encoded.
//
// The package is pure: bytes in, values out. It does no I/O and takes its
// clock and randomness from Options, so results are deterministic in tests.
package postman

// Schema versions a collection may declare.
const (
	SchemaV1  = "1.0.0"
	SchemaV20 = "2.0.0"
	SchemaV21 = "2.1.0"
)

// Collection is a parsed Postman collection, flattened into its requests.
type Collection struct {
	// PostmanID is info._postman_id (v2) or id (v1); empty when absent.
	PostmanID string
	Name      string
	// Schema is one of SchemaV1, SchemaV20, SchemaV21.
	Schema string
	// Auth is the collection-level auth, nil when none is declared.
	Auth *Auth
	// Requests holds every request item in document order (depth first),
	// including invalid ones (Request.Invalid set).
	Requests []Request

	// Variables are the collection variables as declared (a variable with
	// an id but no key is named by its id), disabled ones included.
	Variables []Variable
	// SetByScript lists every variable name some script of the collection
	// sets (pm.environment.set, pm.collectionVariables.set,
	// pm.variables.set, pm.globals.set, postman.setEnvironmentVariable,
	// postman.setGlobalVariable), sorted.
	SetByScript []string
	// Warnings are collection-level problems that did not stop the parse
	// (e.g. a malformed collection variable list, ignored).
	Warnings []string
}

// Request is one request item of a collection, resolved and built.
type Request struct {
	// ID is the item's id (v2 "id", v1 request "id"); empty when absent.
	ID   string
	Name string
	// Folders is the folder path from the collection root, outermost first.
	Folders []string

	// Built is the request as it would be sent (auth that can be applied
	// statically — bearer, basic, apikey, oauth2 — is already applied).
	Built BuiltRequest

	// Auth is the effective auth after inheritance (request, folders,
	// collection); nil when none or "noauth".
	Auth *Auth

	// Examples are the usable saved responses (a status code or a non-empty
	// body), in document order.
	Examples []Example
	// StubExamples counts saved responses that had neither status nor body.
	StubExamples int

	// Unresolved lists variable names still unresolved after resolution
	// (sorted, unique), anywhere in the built request: URL, headers, body and
	// the auth parameters used to send it.
	Unresolved []string
	// HostUnresolved is the part of Unresolved found in the scheme, host or
	// port: such a request cannot be replayed ("unresolved_variable").
	HostUnresolved []string
	// SetByScript lists variable names that a pre-request or test script
	// sets (found by a plain text scan; scripts are never run), sorted, unique.
	// Only names this request uses and that are otherwise unresolved are
	// listed (a subset of Unresolved); Collection.SetByScript has them all.
	SetByScript []string
	// Flags are observations about the build, e.g. "file_part_missing".
	Flags []string

	// Invalid is non-empty when the item is structurally broken; it says what
	// is wrong. Such a request has a zero Built and is reported as
	// "invalid_item".
	Invalid string
}

// BuiltRequest is an HTTP request as Postman would send it.
type BuiltRequest struct {
	Method string
	URL    URL
	// Headers in order; disabled ones are dropped.
	Headers []KV
	// Body is nil when the request has no body (or it was pruned for GET/HEAD).
	Body *Body
}

// URL is a resolved request URL.
type URL struct {
	// Raw is the full URL string after resolution, e.g.
	// "https://api.example.com:8443/v1/users/:id?limit=10".
	Raw string
	// Scheme is "http" or "https" (defaults to "http" when absent).
	Scheme string
	// Host is the host name, lower case, without port.
	Host string
	// Port is the explicit port, empty when none.
	Port string
	// Path starts with "/" ("/" when empty). Unfilled path variables stay
	// ":name"; unresolved {{vars}} stay "{{name}}".
	Path string
	// PathTemplate is Path as the collection wrote it: a ":name" path
	// variable segment stays ":name" even when filled, and a segment holding
	// {{var}} references keeps them (unless its value spans several
	// segments, e.g. a base path: then it is resolved like Path). Any path
	// that came with the host (e.g. {{baseUrl}} = "https://h/v1") is
	// resolved. Endpoint templating starts from it.
	PathTemplate string
	// Query holds the enabled query parameters, in order, duplicates kept.
	Query []KV
}

// KV is a header, query parameter or form field.
type KV struct {
	Key   string
	Value string
}

// Body modes.
const (
	BodyRaw        = "raw"
	BodyURLEncoded = "urlencoded"
	BodyFormData   = "formdata"
	BodyFile       = "file"
	BodyGraphQL    = "graphql"
)

// Body is a request body.
type Body struct {
	// Mode is one of the Body* constants.
	Mode string
	// ContentType is the content type the body is sent with (from a header,
	// or derived from the mode / raw language when no header sets one).
	ContentType string
	// Raw is the encoded body as it would be sent (for formdata a
	// description is enough: fields are in Form).
	Raw string
	// Form holds urlencoded or formdata fields (enabled only, duplicates kept).
	Form []FormField
}

// FormField is one urlencoded or multipart field.
type FormField struct {
	Key   string
	Value string
	// File is the file name of a multipart file part ("" for text parts).
	File string
}

// Auth is a Postman auth declaration with its parameters resolved.
type Auth struct {
	// Type is Postman's auth type: "bearer", "basic", "apikey", "oauth1",
	// "oauth2", "digest", "awsv4", "hawk", "ntlm", "edgegrid", "jwt", "asap", ...
	Type string
	// Params holds the auth parameters by key (v2.0 object form and v2.1
	// array form both end up here), values resolved.
	Params map[string]string
}

// Example is a usable saved response.
type Example struct {
	Name string
	// Request is built from the example's originalRequest when present,
	// else from the item's request.
	Request BuiltRequest
	// Status is the response code, 0 when absent.
	Status  int
	Headers []KV
	Body    string
	// Unresolved lists the variable names unresolved in Request.
	Unresolved []string
}
