package importer

import (
	"context"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
)

// markRemoved marks the endpoints of the collection that no request of the
// current collection leads to any more as removed: a workspace sync imports
// the whole current collection, so what it lacks is gone. An endpoint stays
// present while a request still names it, even one this import did not
// sample (no saved response, replayed later). Removed endpoints are kept
// with their samples; one seen again is present again (inventory.Merge
// clears the mark).
func (h *Handler) markRemoved(ctx context.Context, imp inventory.Import, coll *postman.Collection, plan inventory.Plan) (int, error) {
	seen := make(map[string]bool, len(plan.Observations)+len(coll.Requests))
	for _, o := range plan.Observations {
		seen[inventory.EndpointID(plan.Collection.ID, o.Key)] = true
	}
	for i := range coll.Requests {
		if r := &coll.Requests[i]; r.Invalid == "" {
			seen[inventory.EndpointID(plan.Collection.ID, inventory.KeyOf(r.Built))] = true
		}
	}
	present, err := h.store.CollectionEndpointIDs(ctx, imp.AccountID, plan.Collection.ID)
	if err != nil {
		return 0, err
	}
	var gone []string
	for _, id := range present {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	if err := h.store.MarkEndpointsRemoved(ctx, imp.AccountID, gone, imp.CreatedAt); err != nil {
		return 0, err
	}
	h.log.Info("endpoints removed from the collection marked", "import_id", imp.ID, "collection_id", plan.Collection.ID, "count", len(gone))
	return len(gone), nil
}
