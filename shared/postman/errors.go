package postman

import "fmt"

// SyntaxError reports input that is not valid JSON. The API maps it to 400.
type SyntaxError struct {
	// Offset is the byte offset of the error in the input.
	Offset int64
	// Line and Column are 1-based and point at the same place as Offset.
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d (byte %d): %s", e.Line, e.Column, e.Offset, e.Msg)
}

// FormatError reports valid JSON that is not a Postman collection (or
// environment) this package can read: no info+item (v2), no requests (v1),
// or an info.schema naming an unsupported version. The API maps it to 422.
type FormatError struct {
	Msg string
}

func (e *FormatError) Error() string { return e.Msg }

// LimitError reports input beyond a hard limit (nesting depth, item count,
// variable expansion size). The API maps it to 422.
type LimitError struct {
	Limit string
	Max   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("collection exceeds the %s limit of %d", e.Limit, e.Max)
}
