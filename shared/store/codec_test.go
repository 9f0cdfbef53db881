package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/schema"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/testenv"
)

// openWithRaw opens a store on a fresh database, and the same database
// through a client with the driver's default registry (what earlier
// versions wrote with, and a view of the stored BSON).
func openWithRaw(t *testing.T) (*store.Store, *mongo.Database) {
	t.Helper()
	ctx := context.Background()
	uri, dbName := testenv.Mongo(t)
	s, err := store.Open(ctx, uri, dbName)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	raw, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	require.NoError(t, err)
	t.Cleanup(func() { _ = raw.Disconnect(context.Background()) })
	return s, raw.Database(dbName)
}

// TestShapeStorage: an endpoint's shape is stored as one JSON string and
// reads back whole; a shape stored as nested documents (by earlier
// versions) still reads.
func TestShapeStorage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := openWithRaw(t)
	endpoints := db.Collection("endpoints")

	shape := schema.Shape{
		Request: &schema.Request{Query: []schema.Field{{Name: "limit"}}},
		Responses: []schema.Response{{Status: 200, Message: schema.Message{
			Headers: []schema.Field{{Name: "x-request-id"}},
			Bodies: []schema.Body{{MediaType: "application/json", JSON: &schema.Node{
				Types: []string{"object"},
				Properties: []schema.Property{
					{Name: "id", Required: true, Node: &schema.Node{Types: []string{"integer"}}},
					{Name: "tags", Node: &schema.Node{Types: []string{"array"}, Items: &schema.Node{Types: []string{"string"}, Format: "uuid"}}},
				},
			}}},
		}}},
	}
	tests := []struct {
		name  string
		shape schema.Shape
	}{
		{"a full shape", shape},
		{"an empty shape", schema.Shape{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ep := inventory.Endpoint{ID: "ep_" + tc.name, AccountID: "acc", CollectionID: "col", Method: "GET", Path: "/x", Shape: tc.shape, Version: 1}
			require.NoError(t, s.SaveEndpoints(ctx, []inventory.Endpoint{ep}))
			var doc bson.Raw
			require.NoError(t, endpoints.FindOne(ctx, bson.D{{Key: "_id", Value: ep.ID}}).Decode(&doc))
			require.Equal(t, bsontype.String, doc.Lookup("shape").Type, "stored as a string")
			got, err := s.GetEndpoint(ctx, "acc", ep.ID)
			require.NoError(t, err)
			require.Equal(t, tc.shape, got.Shape)
		})
	}

	t.Run("stored as documents", func(t *testing.T) {
		// The default registry writes the shape as nested documents, as
		// versions before the string encoding did.
		legacy := inventory.Endpoint{ID: "ep_legacy", AccountID: "acc", CollectionID: "col", Method: "GET", Path: "/y", Shape: shape, Version: 1}
		_, err := endpoints.InsertOne(ctx, legacy)
		require.NoError(t, err)
		got, err := s.GetEndpoint(ctx, "acc", "ep_legacy")
		require.NoError(t, err)
		require.Equal(t, shape, got.Shape)
	})
}

// TestListsStoredAsStrings: a change set's changes and an import's outcome
// rows are stored as one JSON string each and read back whole; lists
// stored as arrays of documents (by earlier versions) still read.
func TestListsStoredAsStrings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := openWithRaw(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	list := []changes.Change{
		{Kind: changes.Added, EndpointID: "ep_1", Method: "GET", Host: "h", Path: "/a",
			Details: []changes.Detail{{Facet: changes.FacetAuthType, Op: changes.OpAdded, Value: "BEARER"}}},
		{Kind: changes.Removed, EndpointID: "ep_2", Method: "POST", Host: "h", Path: "/b"},
	}
	rows := []inventory.RequestOutcome{
		{Index: 0, Name: "a", Folders: []string{"f"}, Method: "GET", URL: "https://h/a", Outcome: inventory.OutcomeImported, Samples: 1, EndpointIDs: []string{"ep_1"}},
		{Index: 1, Name: "b", Outcome: inventory.OutcomeSkipped, Reason: inventory.ReasonNoSavedResponse},
	}

	t.Run("changes", func(t *testing.T) {
		_, err := s.AddChanges(ctx, "import", changes.NewSet("acc", "col", "imp_new", t0, list))
		require.NoError(t, err)
		var doc bson.Raw
		require.NoError(t, db.Collection("changes").FindOne(ctx, bson.D{{Key: "import_id", Value: "imp_new"}}).Decode(&doc))
		require.Equal(t, bsontype.String, doc.Lookup("set", "changes").Type, "stored as a string")
		got, err := s.ChangesOfImport(ctx, "acc", "imp_new")
		require.NoError(t, err)
		require.Equal(t, list, got.Changes)

		legacy := changes.NewSet("acc", "col", "imp_old", t0, list)
		_, err = db.Collection("changes").InsertOne(ctx, bson.D{
			{Key: "_id", Value: "chs_old"}, {Key: "account_id", Value: "acc"}, {Key: "collection_id", Value: "col"},
			{Key: "import_id", Value: "imp_old"}, {Key: "step", Value: "import"}, {Key: "set", Value: legacy},
		})
		require.NoError(t, err)
		got, err = s.ChangesOfImport(ctx, "acc", "imp_old")
		require.NoError(t, err)
		require.Equal(t, list, got.Changes)
	})

	t.Run("outcome rows", func(t *testing.T) {
		require.NoError(t, s.SaveOutcomes(ctx, "acc", "imp_new", "import", 0, rows))
		var doc bson.Raw
		require.NoError(t, db.Collection("import_outcomes").FindOne(ctx, bson.D{{Key: "import_id", Value: "imp_new"}}).Decode(&doc))
		require.Equal(t, bsontype.String, doc.Lookup("rows").Type, "stored as a string")
		got, err := s.Outcomes(ctx, "acc", "imp_new")
		require.NoError(t, err)
		require.Equal(t, rows, got)

		_, err = db.Collection("import_outcomes").InsertOne(ctx, bson.D{
			{Key: "_id", Value: "imp_old:import:0"}, {Key: "account_id", Value: "acc"}, {Key: "import_id", Value: "imp_old"},
			{Key: "seq", Value: 0}, {Key: "rows", Value: rows},
		})
		require.NoError(t, err)
		got, err = s.Outcomes(ctx, "acc", "imp_old")
		require.NoError(t, err)
		require.Equal(t, rows, got)
	})
}
