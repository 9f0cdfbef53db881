package store

import (
	"context"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/apiscout/apiscout/shared/inventory"
)

const colOutcomes = "import_outcomes"

// OutcomeRowsPerDoc caps the rows of one outcomes document.
const OutcomeRowsPerDoc = 500

// outcomeDoc holds the per-request outcomes one step of an import wrote
// (the import task, or one replay batch). Rows of later steps supersede
// earlier ones for the same request index.
type outcomeDoc struct {
	ID        string                     `bson:"_id"`
	AccountID string                     `bson:"account_id"`
	ImportID  string                     `bson:"import_id"`
	Seq       int                        `bson:"seq"`
	Rows      []inventory.RequestOutcome `bson:"rows"`
}

// SaveOutcomes writes per-request outcomes of one step of an import under
// key (deterministic per step, so a retried step overwrites itself). seq
// orders steps: a higher seq wins for the same request.
func (s *Store) SaveOutcomes(ctx context.Context, accountID, importID, key string, seq int, rows []inventory.RequestOutcome) error {
	c := s.db.Collection(colOutcomes)
	for part := 0; part*OutcomeRowsPerDoc < len(rows); part++ {
		end := min((part+1)*OutcomeRowsPerDoc, len(rows))
		doc := outcomeDoc{
			ID: fmt.Sprintf("%s:%s:%d", importID, key, part), AccountID: accountID, ImportID: importID,
			Seq: seq, Rows: rows[part*OutcomeRowsPerDoc : end],
		}
		if err := insertOrReplace(ctx, c, []any{doc}, []string{doc.ID}); err != nil {
			return fmt.Errorf("store: save outcomes: %w", err)
		}
	}
	return nil
}

// Outcomes returns an import's per-request outcomes in request order, each
// request once (the latest step's row).
func (s *Store) Outcomes(ctx context.Context, accountID, importID string) ([]inventory.RequestOutcome, error) {
	docs, err := findAll[outcomeDoc](ctx, s.db.Collection(colOutcomes), bson.D{
		{Key: "account_id", Value: accountID}, {Key: "import_id", Value: importID},
	})
	if err != nil {
		return nil, fmt.Errorf("store: outcomes: %w", err)
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].Seq < docs[j].Seq })
	byIndex := map[int]inventory.RequestOutcome{}
	for _, d := range docs {
		for _, r := range d.Rows {
			byIndex[r.Index] = r
		}
	}
	out := make([]inventory.RequestOutcome, 0, len(byIndex))
	for _, r := range byIndex {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// SetImportReplaying records the first step of an import that waits for
// replays: its collection, the counts so far, and the replay total. The
// import stays running.
func (s *Store) SetImportReplaying(ctx context.Context, accountID, id string, r ImportResult) error {
	_, err := s.db.Collection(colImports).UpdateOne(ctx, append(byAccount(accountID, id),
		bson.E{Key: "status", Value: inventory.StatusRunning}), bson.D{{Key: "$set", Value: bson.D{
		{Key: "collection_id", Value: r.CollectionID},
		{Key: "collection_name", Value: r.CollectionName},
		{Key: "schema", Value: r.Schema},
		{Key: "counts", Value: r.Counts},
	}}})
	if err != nil {
		return fmt.Errorf("store: set import replaying: %w", err)
	}
	return nil
}
