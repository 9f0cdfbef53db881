package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/schema"
	"github.com/apiscout/apiscout/shared/store"
	"github.com/apiscout/apiscout/shared/testenv"
)

// TestShapeStorage: an endpoint's shape is stored as one JSON string and
// reads back whole; a shape stored as nested documents (by earlier
// versions) still reads.
func TestShapeStorage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	uri, dbName := testenv.Mongo(t)
	s, err := store.Open(ctx, uri, dbName)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	raw, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	require.NoError(t, err)
	t.Cleanup(func() { _ = raw.Disconnect(context.Background()) })
	endpoints := raw.Database(dbName).Collection("endpoints")

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
