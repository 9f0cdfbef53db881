package openapi

import "encoding/json"

// Version is the OpenAPI version of the documents built here.
const Version = "3.1.0"

// Document is an OpenAPI 3.1 document. Fields are in the order the
// specification lists them, and maps encode with sorted keys, so the same
// inventory always gives the same bytes.
type Document struct {
	OpenAPI    string               `json:"openapi"`
	Info       Info                 `json:"info"`
	Servers    []Server             `json:"servers,omitempty"`
	Paths      map[string]*PathItem `json:"paths"`
	Components *Components          `json:"components,omitempty"`
}

// Info is the document's info object.
type Info struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version"`
}

// Server is a server object.
type Server struct {
	URL         string                    `json:"url"`
	Description string                    `json:"description,omitempty"`
	Variables   map[string]ServerVariable `json:"variables,omitempty"`
}

// ServerVariable is a server variable.
type ServerVariable struct {
	Default     string `json:"default"`
	Description string `json:"description,omitempty"`
}

// PathItem holds the operations of one path.
type PathItem struct {
	Get     *Operation `json:"get,omitempty"`
	Put     *Operation `json:"put,omitempty"`
	Post    *Operation `json:"post,omitempty"`
	Delete  *Operation `json:"delete,omitempty"`
	Options *Operation `json:"options,omitempty"`
	Head    *Operation `json:"head,omitempty"`
	Patch   *Operation `json:"patch,omitempty"`
	Trace   *Operation `json:"trace,omitempty"`
}

// Operation is one method of a path.
type Operation struct {
	Summary     string                `json:"summary,omitempty"`
	OperationID string                `json:"operationId"`
	Parameters  []Parameter           `json:"parameters,omitempty"`
	RequestBody *RequestBody          `json:"requestBody,omitempty"`
	Responses   map[string]*Response  `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
	// Servers are the operation's hosts when not all the document's
	// servers serve it.
	Servers []Server `json:"servers,omitempty"`
	// Sensitive lists where sensitive data was seen (apiscout extension).
	Sensitive []SensitiveField `json:"x-apiscout-sensitive,omitempty"`
	// EndpointIDs are the inventory endpoints behind the operation.
	EndpointIDs []string `json:"x-apiscout-endpoints,omitempty"`
}

// SensitiveField is one x-apiscout-sensitive entry.
type SensitiveField struct {
	Type     string `json:"type"`
	Severity string `json:"severity"`
	Side     string `json:"side"`
	Part     string `json:"part"`
	Name     string `json:"name,omitempty"`
	Path     string `json:"path,omitempty"`
}

// Parameter is a path, query, header or cookie parameter.
type Parameter struct {
	Name     string  `json:"name"`
	In       string  `json:"in"`
	Required bool    `json:"required,omitempty"`
	Schema   *Schema `json:"schema"`
}

// RequestBody is an operation's request body.
type RequestBody struct {
	Required bool                  `json:"required,omitempty"`
	Content  map[string]*MediaType `json:"content"`
}

// Response is the response of one status.
type Response struct {
	Description string                `json:"description"`
	Headers     map[string]*Header    `json:"headers,omitempty"`
	Content     map[string]*MediaType `json:"content,omitempty"`
}

// Header is a response header.
type Header struct {
	Required bool    `json:"required,omitempty"`
	Schema   *Schema `json:"schema"`
}

// MediaType is one content type of a body.
type MediaType struct {
	Schema  *Schema         `json:"schema,omitempty"`
	Example json.RawMessage `json:"example,omitempty"`
}

// Schema is a JSON Schema 2020-12 schema (the subset inference yields).
type Schema struct {
	// Type is a type name or a list of them.
	Type        any                `json:"type,omitempty"`
	Format      string             `json:"format,omitempty"`
	Pattern     string             `json:"pattern,omitempty"`
	Description string             `json:"description,omitempty"`
	Properties  map[string]*Schema `json:"properties,omitempty"`
	Required    []string           `json:"required,omitempty"`
	Items       *Schema            `json:"items,omitempty"`
}

// Components holds the security schemes.
type Components struct {
	SecuritySchemes map[string]*SecurityScheme `json:"securitySchemes,omitempty"`
}

// SecurityScheme is a security scheme object.
type SecurityScheme struct {
	Type         string `json:"type"`
	Description  string `json:"description,omitempty"`
	Name         string `json:"name,omitempty"`
	In           string `json:"in,omitempty"`
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
}
