package ids

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// At returns a deterministic id that sorts by t, like one New would have
// made at t: the same t and parts always give the same id. It names things
// several processes may create for the same instant (a scheduled sync), so
// only one of them lands.
func At(prefix string, t time.Time, parts ...string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli()))
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	copy(b[8:], h.Sum(nil))
	return prefix + "_" + enc.EncodeToString(b[:])
}
