// Package secret keeps third-party credentials (Postman API keys) safe: a
// Secret string type that never prints, and a Keyring that seals secrets with
// AES-256-GCM under APISCOUT_SECRET_KEY and still opens what the previous key
// (APISCOUT_SECRET_KEY_PREVIOUS) sealed, so keys can be rotated.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Redacted is what a Secret prints as, whatever the verb.
const Redacted = "[redacted]"

// Secret is a credential in clear. It prints, logs and marshals to JSON as
// Redacted; Reveal gives the value, for the one place that sends it.
type Secret string

// Reveal returns the clear value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return Redacted }

// Format implements fmt.Formatter, so no verb (%d, %x, %q ...) prints the value.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Redacted) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// Mask returns what may be shown of the secret: its last four characters
// behind asterisks ("****" alone for a value too short to show any).
func (s Secret) Mask() string {
	v := strings.TrimSpace(string(s))
	if len(v) < 12 {
		return "****"
	}
	return "****" + v[len(v)-4:]
}

// KeyBytes is the size of an encryption key (AES-256).
const KeyBytes = 32

// ParseKey decodes a base64 (standard or URL alphabet, padded or not)
// 32-byte key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeyBytes {
				return nil, fmt.Errorf("want %d bytes in base64, got %d bytes", KeyBytes, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// NewKey returns a fresh random key in base64 (what `make run` writes into
// its data folder).
func NewKey() string {
	b := make([]byte, KeyBytes)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// KeyID names a key without revealing it: a prefix of a hash of the key.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("apiscout secret key id\x00"), key...))
	return "k" + hex.EncodeToString(sum[:6])
}

// Sealed is a secret encrypted at rest: the id of the key that sealed it and
// nonce || ciphertext (with the GCM tag).
type Sealed struct {
	KeyID string `bson:"kid" json:"-"`
	Data  []byte `bson:"data" json:"-"`
}

// ErrUnknownKey is returned for a Sealed whose key is neither the current
// nor the previous one.
var ErrUnknownKey = errors.New("secret: sealed with a key that is neither APISCOUT_SECRET_KEY nor APISCOUT_SECRET_KEY_PREVIOUS")

// ErrCorrupt is returned when a Sealed does not open (tampered, or bound to
// another document).
var ErrCorrupt = errors.New("secret: sealed value does not decrypt")

type key struct {
	id   string
	aead cipher.AEAD
}

// Keyring seals with the current key and opens with the current or the
// previous one.
type Keyring struct {
	current  key
	previous *key
}

// NewKeyring parses the current key and the optional previous one (base64).
func NewKeyring(current, previous string) (*Keyring, error) {
	cur, err := newKey(current)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	k := &Keyring{current: cur}
	if strings.TrimSpace(previous) != "" {
		prev, err := newKey(previous)
		if err != nil {
			return nil, fmt.Errorf("previous secret key: %w", err)
		}
		if prev.id != cur.id {
			k.previous = &prev
		}
	}
	return k, nil
}

func newKey(s string) (key, error) {
	b, err := ParseKey(s)
	if err != nil {
		return key{}, err
	}
	block, err := aes.NewCipher(b)
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	return key{id: KeyID(b), aead: aead}, nil
}

// CurrentKeyID is the id of the key Seal uses.
func (k *Keyring) CurrentKeyID() string { return k.current.id }

// Seal encrypts s with the current key. aad binds the ciphertext to its
// owner (e.g. the credential id): it must be given again to Open.
func (k *Keyring) Seal(s Secret, aad string) (Sealed, error) {
	nonce := make([]byte, k.current.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, err
	}
	data := k.current.aead.Seal(nonce, nonce, []byte(s), []byte(aad))
	return Sealed{KeyID: k.current.id, Data: data}, nil
}

// Open decrypts a Sealed. stale reports that it was sealed with the previous
// key: the caller should seal it again, so the previous key can be retired.
func (k *Keyring) Open(s Sealed, aad string) (value Secret, stale bool, err error) {
	var use *key
	switch {
	case s.KeyID == k.current.id:
		use = &k.current
	case k.previous != nil && s.KeyID == k.previous.id:
		use, stale = k.previous, true
	default:
		return "", false, fmt.Errorf("%w (key id %q)", ErrUnknownKey, s.KeyID)
	}
	n := use.aead.NonceSize()
	if len(s.Data) < n {
		return "", false, ErrCorrupt
	}
	plain, err := use.aead.Open(nil, s.Data[:n], s.Data[n:], []byte(aad))
	if err != nil {
		return "", false, ErrCorrupt
	}
	return Secret(plain), stale, nil
}
