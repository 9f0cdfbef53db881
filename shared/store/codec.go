package store

import (
	"encoding/json"
	"fmt"
	"reflect"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsoncodec"
	"go.mongodb.org/mongo-driver/bson/bsonrw"
	"go.mongodb.org/mongo-driver/bson/bsontype"

	"github.com/apiscout/apiscout/shared/schema"
)

// registry is the BSON registry of the store's client: the default one,
// except that an endpoint's shape is stored as one JSON string.
//
// A shape is a tree (headers, bodies, every property of every JSON body)
// that no query looks into; as nested documents it made an endpoint cost
// three times a sample to write (FerretDB converts every nested document;
// MongoDB also walks them) and as a string it costs about what its bytes
// do. Shapes stored as documents by earlier versions still read.
func registry() *bsoncodec.Registry {
	r := bson.NewRegistry()
	t := reflect.TypeOf(schema.Shape{})
	r.RegisterTypeEncoder(t, bsoncodec.ValueEncoderFunc(encodeShape))
	r.RegisterTypeDecoder(t, bsoncodec.ValueDecoderFunc(decodeShape))
	return r
}

func encodeShape(_ bsoncodec.EncodeContext, vw bsonrw.ValueWriter, v reflect.Value) error {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Errorf("encode shape: %w", err)
	}
	return vw.WriteString(string(b))
}

func decodeShape(_ bsoncodec.DecodeContext, vr bsonrw.ValueReader, v reflect.Value) error {
	var sh schema.Shape
	switch vr.Type() {
	case bsontype.String:
		s, err := vr.ReadString()
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(s), &sh); err != nil {
			return fmt.Errorf("decode shape: %w", err)
		}
	case bsontype.EmbeddedDocument:
		// Written by a version that stored shapes as documents: decode
		// with the default registry.
		raw, err := bsonrw.Copier{}.CopyDocumentToBytes(vr)
		if err != nil {
			return err
		}
		if err := bson.Unmarshal(raw, &sh); err != nil {
			return fmt.Errorf("decode shape: %w", err)
		}
	case bsontype.Null:
		if err := vr.ReadNull(); err != nil {
			return err
		}
	case bsontype.Undefined:
		if err := vr.ReadUndefined(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("decode shape: unexpected BSON %s", vr.Type())
	}
	v.Set(reflect.ValueOf(sh))
	return nil
}
