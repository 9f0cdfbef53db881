// Package credentials opens stored Postman credentials: it loads one,
// unseals its key, and seals it again under the current key when the
// previous one sealed it, so APISCOUT_SECRET_KEY_PREVIOUS can be retired
// once every credential has been used.
package credentials

import (
	"context"
	"errors"
	"fmt"

	"github.com/apiscout/apiscout/shared/secret"
	"github.com/apiscout/apiscout/shared/workspace"
)

// Store is what opening a credential needs of the database.
type Store interface {
	GetCredential(ctx context.Context, accountID, id string) (workspace.Credential, error)
	ResealCredential(ctx context.Context, accountID, id string, sealed secret.Sealed) error
}

// ErrNoSecretKey is returned when APISCOUT_SECRET_KEY is not configured.
var ErrNoSecretKey = errors.New("APISCOUT_SECRET_KEY is not set, so stored Postman API keys cannot be used")

// Open returns a credential and its key in clear. The store's ErrNotFound
// passes through; a key sealed with an unknown key is secret.ErrUnknownKey.
func Open(ctx context.Context, st Store, kr *secret.Keyring, accountID, id string) (workspace.Credential, secret.Secret, error) {
	if kr == nil {
		return workspace.Credential{}, "", ErrNoSecretKey
	}
	c, err := st.GetCredential(ctx, accountID, id)
	if err != nil {
		return c, "", err
	}
	aad := workspace.SealAAD(accountID, id)
	key, stale, err := kr.Open(c.Sealed, aad)
	if err != nil {
		return c, "", fmt.Errorf("credential %s: %w", id, err)
	}
	if stale {
		// Best effort: the key still works; resealing can happen next time.
		if sealed, err := kr.Seal(key, aad); err == nil {
			_ = st.ResealCredential(ctx, accountID, id, sealed)
		}
	}
	return c, key, nil
}

// Seal seals key for a new credential of an account.
func Seal(kr *secret.Keyring, accountID, id string, key secret.Secret) (secret.Sealed, error) {
	if kr == nil {
		return secret.Sealed{}, ErrNoSecretKey
	}
	return kr.Seal(key, workspace.SealAAD(accountID, id))
}
