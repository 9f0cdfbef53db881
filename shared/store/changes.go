package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/ids"
)

// colChanges holds the change sets of imports, one document per step of an
// import (its own step, then each batch of its replays): steps of one
// import may run at once on several workers, and FerretDB v1 does not make
// a conditional replace atomic, so no two writers share a document. Reads
// compose an import's steps (changes.Set.Add).
const colChanges = "changes"

// changeStep is what one step of an import changed.
type changeStep struct {
	ID           string      `bson:"_id"`
	AccountID    string      `bson:"account_id"`
	CollectionID string      `bson:"collection_id"`
	ImportID     string      `bson:"import_id"`
	Step         string      `bson:"step"`
	Set          changes.Set `bson:"set"`
}

// AddChanges records what one step of an import changed (set names the
// import; step names the step, e.g. "import" or a replay batch). A step
// run again (a retried task) adds to what it recorded before, so what a
// first attempt saw is kept even when the retry, finding its writes done,
// sees less. It returns the step's set as now recorded.
func (s *Store) AddChanges(ctx context.Context, step string, set changes.Set) (changes.Set, error) {
	id := ids.Stable("chs", set.AccountID, set.ID, step)
	c := s.db.Collection(colChanges)
	cur, err := findOne[changeStep](ctx, c, byAccount(set.AccountID, id))
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return changes.Set{}, fmt.Errorf("store: add changes: %w", err)
	default:
		set = cur.Set.Add(set.Changes)
	}
	doc := changeStep{ID: id, AccountID: set.AccountID, CollectionID: set.CollectionID, ImportID: set.ImportID, Step: step, Set: set}
	err = retryUpsert(func() error {
		_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc, options.Replace().SetUpsert(true))
		return err
	})
	if err != nil {
		return changes.Set{}, fmt.Errorf("store: add changes: %w", err)
	}
	return set, nil
}

// ChangesOfImport returns the change set of an import, its steps composed.
func (s *Store) ChangesOfImport(ctx context.Context, accountID, importID string) (changes.Set, error) {
	steps, err := findAll[changeStep](ctx, s.db.Collection(colChanges), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "import_id", Value: importID},
	}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return changes.Set{}, fmt.Errorf("store: changes of import: %w", err)
	}
	if len(steps) == 0 {
		return changes.Set{}, ErrNotFound
	}
	return compose(steps), nil
}

func compose(steps []changeStep) changes.Set {
	set := steps[0].Set
	for _, st := range steps[1:] {
		set = set.Add(st.Set.Changes)
		set.Truncated = set.Truncated || st.Set.Truncated
		if set.Source == "" {
			set.Source = st.Set.Source
		}
	}
	return set
}

// ListChanges lists a collection's change sets, newest import first (import
// ids sort by time), at most p.Limit; p.After is an import id.
func (s *Store) ListChanges(ctx context.Context, accountID, collectionID string, p Page) ([]changes.Set, error) {
	filter := bson.D{{Key: "account_id", Value: accountID}, {Key: "collection_id", Value: collectionID}}
	if p.After != "" {
		filter = append(filter, bson.E{Key: "import_id", Value: bson.D{{Key: "$lt", Value: p.After}}})
	}
	cur, err := s.db.Collection(colChanges).Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "import_id", Value: -1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: list changes: %w", err)
	}
	defer cur.Close(ctx)
	var out []changes.Set
	var group []changeStep
	flush := func() {
		if len(group) > 0 {
			out = append(out, compose(group))
			group = nil
		}
	}
	for cur.Next(ctx) {
		var st changeStep
		if err := cur.Decode(&st); err != nil {
			return nil, fmt.Errorf("store: list changes: %w", err)
		}
		if len(group) > 0 && group[0].ImportID != st.ImportID {
			flush()
			if len(out) == p.Limit {
				return out, nil
			}
		}
		group = append(group, st)
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("store: list changes: %w", err)
	}
	flush()
	return out, nil
}
