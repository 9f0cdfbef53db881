package store

import (
	"encoding/json"
	"fmt"
	"reflect"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsoncodec"
	"go.mongodb.org/mongo-driver/bson/bsonrw"
	"go.mongodb.org/mongo-driver/bson/bsontype"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/schema"
)

// registry is the BSON registry of the store's client: the default one,
// except that a few values no query looks into are stored as one JSON
// string each: an endpoint's shape, a change set's changes and an
// import's outcome rows.
//
// A shape is a tree (headers, bodies, every property of every JSON body),
// and changes and outcome rows are lists of thousands of small documents.
// As nested documents they made an endpoint cost three times a sample to
// write, and an import's change set and outcome rows a third of a second
// each (FerretDB converts every nested document; MongoDB also walks them);
// as strings they cost about what their bytes do. Values stored as
// documents by earlier versions still read.
func registry() *bsoncodec.Registry {
	r := bson.NewRegistry()
	asJSON[schema.Shape](r)
	asJSON[[]changes.Change](r)
	asJSON[[]inventory.RequestOutcome](r)
	return r
}

// asJSON registers T to be stored as a JSON string (and read from one, or
// from the BSON the default registry wrote).
func asJSON[T any](r *bsoncodec.Registry) {
	t := reflect.TypeFor[T]()
	r.RegisterTypeEncoder(t, bsoncodec.ValueEncoderFunc(func(_ bsoncodec.EncodeContext, vw bsonrw.ValueWriter, v reflect.Value) error {
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return fmt.Errorf("encode %s: %w", t, err)
		}
		return vw.WriteString(string(b))
	}))
	r.RegisterTypeDecoder(t, bsoncodec.ValueDecoderFunc(func(_ bsoncodec.DecodeContext, vr bsonrw.ValueReader, v reflect.Value) error {
		var x T
		switch vr.Type() {
		case bsontype.String:
			s, err := vr.ReadString()
			if err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(s), &x); err != nil {
				return fmt.Errorf("decode %s: %w", t, err)
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
			// Written by a version that stored it as BSON: decode with
			// the default registry.
			typ, raw, err := bsonrw.Copier{}.CopyValueToBytes(vr)
			if err != nil {
				return err
			}
			if err := bson.UnmarshalValue(typ, raw, &x); err != nil {
				return fmt.Errorf("decode %s: %w", t, err)
			}
		}
		v.Set(reflect.ValueOf(x))
		return nil
	}))
}
