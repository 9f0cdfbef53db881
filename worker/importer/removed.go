package importer

import (
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
)

// removedBy lists the endpoints of the collection (prev, as stored before
// the import) that no request of the current collection leads to any more:
// a workspace sync imports the whole current collection, so what it lacks
// is gone. An endpoint stays present while a request still names it, even
// one this import did not sample (no saved response, replayed later).
// Endpoints already marked removed are not listed again. Removed endpoints
// are kept with their samples; one seen again is present again
// (inventory.Merge clears the mark).
func removedBy(prev []inventory.Endpoint, coll *postman.Collection, plan inventory.Plan) []string {
	seen := make(map[string]bool, len(plan.Observations)+len(coll.Requests))
	for _, o := range plan.Observations {
		seen[inventory.EndpointID(plan.Collection.ID, o.Key)] = true
	}
	for i := range coll.Requests {
		if r := &coll.Requests[i]; r.Invalid == "" {
			seen[inventory.EndpointID(plan.Collection.ID, inventory.KeyOf(r.Built))] = true
		}
	}
	var gone []string
	for _, ep := range prev {
		if ep.RemovedAt == nil && !seen[ep.ID] {
			gone = append(gone, ep.ID)
		}
	}
	return gone
}
