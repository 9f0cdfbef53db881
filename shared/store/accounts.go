package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
)

// Account is a tenant: everything stored belongs to exactly one.
type Account struct {
	ID        string    `bson:"_id" json:"id"`
	Name      string    `bson:"name" json:"name"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

type tokenDoc struct {
	Hash      string    `bson:"_id"`
	AccountID string    `bson:"account_id"`
	Name      string    `bson:"name"`
	CreatedAt time.Time `bson:"created_at"`
}

// CreateAccount stores a new account.
func (s *Store) CreateAccount(ctx context.Context, a Account) error {
	_, err := s.db.Collection(colAccounts).InsertOne(ctx, a)
	if err != nil {
		return fmt.Errorf("store: create account: %w", err)
	}
	return nil
}

// GetAccount returns an account by id.
func (s *Store) GetAccount(ctx context.Context, id string) (Account, error) {
	return findOne[Account](ctx, s.db.Collection(colAccounts), bson.D{{Key: "_id", Value: id}})
}

// AddToken stores a token hash for an account. Adding the same hash twice
// is not an error (the dev launcher re-adds its fixed token at every start).
func (s *Store) AddToken(ctx context.Context, accountID, tokenHash, name string, now time.Time) error {
	_, err := s.db.Collection(colTokens).InsertOne(ctx, tokenDoc{Hash: tokenHash, AccountID: accountID, Name: name, CreatedAt: now})
	if mongo.IsDuplicateKeyError(err) {
		t, ferr := findOne[tokenDoc](ctx, s.db.Collection(colTokens), bson.D{{Key: "_id", Value: tokenHash}})
		if ferr == nil && t.AccountID == accountID {
			return nil
		}
		return fmt.Errorf("store: token already belongs to another account")
	}
	if err != nil {
		return fmt.Errorf("store: add token: %w", err)
	}
	return nil
}

// AccountByTokenHash returns the account id a token hash belongs to.
func (s *Store) AccountByTokenHash(ctx context.Context, tokenHash string) (string, error) {
	t, err := findOne[tokenDoc](ctx, s.db.Collection(colTokens), bson.D{{Key: "_id", Value: tokenHash}})
	if err != nil {
		return "", err
	}
	return t.AccountID, nil
}
