package store

import (
	"bytes"
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// BlobChunkSize is the size of one stored chunk of a blob (an uploaded
// collection can be 25 MiB; a MongoDB document at most 16 MiB).
const BlobChunkSize = 1 << 20

type blobChunk struct {
	ID     string `bson:"_id"`
	BlobID string `bson:"blob_id"`
	N      int    `bson:"n"`
	// Of is the number of chunks of the blob, so a reader can tell a
	// complete blob from a partly written one.
	Of   int    `bson:"of"`
	Data []byte `bson:"data"`
}

// PutBlob stores data under id in chunks. Writing the same id again with the
// same data is harmless.
func (s *Store) PutBlob(ctx context.Context, id string, data []byte) error {
	n := (len(data) + BlobChunkSize - 1) / BlobChunkSize
	n = max(n, 1)
	c := s.db.Collection(colBlobChunks)
	for i := range n {
		end := min((i+1)*BlobChunkSize, len(data))
		chunk := blobChunk{ID: fmt.Sprintf("%s:%d", id, i), BlobID: id, N: i, Of: n, Data: data[i*BlobChunkSize : end]}
		_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: chunk.ID}}, chunk, options.Replace().SetUpsert(true))
		if err != nil {
			return fmt.Errorf("store: put blob chunk %d/%d: %w", i+1, n, err)
		}
	}
	return nil
}

// GetBlob reads a blob; ErrNotFound when missing, an error when incomplete.
func (s *Store) GetBlob(ctx context.Context, id string) ([]byte, error) {
	chunks, err := findAll[blobChunk](ctx, s.db.Collection(colBlobChunks), bson.D{{Key: "blob_id", Value: id}},
		options.Find().SetSort(bson.D{{Key: "n", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: get blob: %w", err)
	}
	if len(chunks) == 0 {
		return nil, ErrNotFound
	}
	if len(chunks) != chunks[0].Of {
		return nil, fmt.Errorf("store: blob %s has %d of %d chunks", id, len(chunks), chunks[0].Of)
	}
	var buf bytes.Buffer
	for i, ch := range chunks {
		if ch.N != i {
			return nil, fmt.Errorf("store: blob %s misses chunk %d", id, i)
		}
		buf.Write(ch.Data)
	}
	return buf.Bytes(), nil
}

// DeleteBlob removes a blob.
func (s *Store) DeleteBlob(ctx context.Context, id string) error {
	_, err := s.db.Collection(colBlobChunks).DeleteMany(ctx, bson.D{{Key: "blob_id", Value: id}})
	return err
}
