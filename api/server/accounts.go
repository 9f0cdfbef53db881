package server

import (
	"context"
	"errors"
	"time"

	"github.com/apiscout/apiscout/shared/auth"
	"github.com/apiscout/apiscout/shared/store"
)

// AccountStore is what provisioning needs of the database.
type AccountStore interface {
	CreateAccount(ctx context.Context, a store.Account) error
	GetAccount(ctx context.Context, id string) (store.Account, error)
	AddToken(ctx context.Context, accountID, tokenHash, name string, now time.Time) error
}

// Provision makes sure account id exists (created with name when missing)
// and adds token to it; an empty token gets a fresh one. It returns the
// account and the token, which is shown once and stored only hashed.
func Provision(ctx context.Context, st AccountStore, id, name, token string, now time.Time) (store.Account, string, error) {
	acc, err := st.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		acc = store.Account{ID: id, Name: name, CreatedAt: now}
		err = st.CreateAccount(ctx, acc)
	}
	if err != nil {
		return acc, "", err
	}
	if token == "" {
		token = auth.NewToken()
	}
	if err := st.AddToken(ctx, acc.ID, auth.Hash(token), "cli", now); err != nil {
		return acc, "", err
	}
	return acc, token, nil
}
