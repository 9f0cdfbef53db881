// Package ids makes the identifiers of stored documents: random,
// time-ordered ids for things created by a request (imports, accounts), and
// stable content-derived ids for things that must come out the same on every
// retry (API collections, endpoints, samples).
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

var enc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// New returns prefix + "_" + a 26-character id whose first 8 bytes are the
// creation time in milliseconds, so ids sort by creation time.
func New(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli()))
	_, _ = rand.Read(b[8:])
	return prefix + "_" + enc.EncodeToString(b[:])
}

// Stable returns prefix + "_" + a hash of parts: the same parts always give
// the same id. Parts are length-prefixed so ("ab","c") != ("a","bc").
func Stable(prefix string, parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return prefix + "_" + enc.EncodeToString(h.Sum(nil)[:15])
}

// HasPrefix reports whether id looks like one made with prefix.
func HasPrefix(id, prefix string) bool {
	return strings.HasPrefix(id, prefix+"_") && len(id) > len(prefix)+1 && len(id) < 64
}
