package inventory

import (
	"slices"
	"time"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/schema"
	"github.com/apiscout/apiscout/shared/template"
)

// MaxSources caps the Postman requests an endpoint lists as its sources.
const MaxSources = 100

// MergeOptions says how an observation is folded into an endpoint.
type MergeOptions struct {
	AccountID    string
	CollectionID string
	ImportID     string
	// Now stamps first and last seen. Use the import's creation time so a
	// retried import writes the same documents.
	Now time.Time
	// Keep is how many samples an endpoint retains (newest win); >= 1.
	Keep int
}

// Merge folds one import's observation of an endpoint into the stored
// endpoint (nil when there is none yet). It returns the endpoint to write,
// the samples to write (those this import contributes that survive
// retention), and the ids of previously retained samples that retention
// drops.
//
// Merge is idempotent: merging the same observation again gives the same
// endpoint (apart from Version) and the same samples, so an import retried
// after a partial write converges.
func Merge(existing *Endpoint, obs Observation, o MergeOptions) (ep Endpoint, write []Sample, dropped []string) {
	if existing != nil {
		ep = *existing
		ep.StatusCodes = slices.Clone(existing.StatusCodes)
		ep.Sources = slices.Clone(existing.Sources)
		ep.SampleIDs = slices.Clone(existing.SampleIDs)
		ep.Paths = slices.Clone(existing.Paths)
		ep.PostmanAuth = slices.Clone(existing.PostmanAuth)
	} else {
		ep = Endpoint{
			ID:              EndpointID(o.CollectionID, obs.Key),
			AccountID:       o.AccountID,
			CollectionID:    o.CollectionID,
			Method:          obs.Key.Method,
			Host:            obs.Key.Host,
			Path:            obs.Key.Path,
			FirstSeen:       o.Now,
			CreatedByImport: o.ImportID,
		}
		if obs.Template != "" {
			ep.Path = obs.Template
		}
	}
	mergeKnowledge(&ep, obs, existing == nil)
	if obs.Scheme != "" {
		ep.Scheme = obs.Scheme
	}
	if o.Now.After(ep.LastSeen) {
		ep.LastSeen = o.Now
	}
	if o.Now.Before(ep.FirstSeen) {
		ep.FirstSeen = o.Now
	}
	ep.LastImportID = o.ImportID
	ep.RemovedAt = nil // observed again: present
	ep.Version++

	for _, s := range obs.Sources {
		if len(ep.Sources) >= MaxSources {
			break
		}
		if !slices.Contains(ep.Sources, s) {
			ep.Sources = append(ep.Sources, s)
		}
	}

	// This observation's samples form one block at the newest end: earlier
	// copies of them are removed first, so a repeat merge keeps the same set.
	mine := make(map[string]bool, len(obs.Samples))
	for _, s := range obs.Samples {
		mine[s.ID] = true
		if !slices.Contains(ep.StatusCodes, s.Response.Status) {
			ep.StatusCodes = append(ep.StatusCodes, s.Response.Status)
		}
	}
	slices.Sort(ep.StatusCodes)
	retained := slices.DeleteFunc(ep.SampleIDs, func(id string) bool { return mine[id] })
	for _, s := range obs.Samples {
		if !slices.Contains(retained, s.ID) {
			retained = append(retained, s.ID)
		}
	}
	keep := max(o.Keep, 1)
	if over := len(retained) - keep; over > 0 {
		for _, id := range retained[:over] {
			if !mine[id] {
				dropped = append(dropped, id)
			}
		}
		retained = retained[over:]
	}
	ep.SampleIDs = retained
	for _, s := range obs.Samples {
		if slices.Contains(retained, s.ID) && !slices.ContainsFunc(write, func(w Sample) bool { return w.ID == s.ID }) {
			write = append(write, s)
		}
	}
	return ep, write, dropped
}

// mergeKnowledge folds what an observation shows (path parameters,
// concrete paths, shape, sensitive data, auth) into the endpoint. Every
// part is a join, so merging the same observation again changes nothing.
func mergeKnowledge(ep *Endpoint, obs Observation, created bool) {
	if created {
		ep.PathParams = template.MergeParams(nil, obs.PathParams)
	} else {
		ep.PathParams = template.MergeParams(ep.PathParams, obs.PathParams)
		if len(ep.PathParams) > 0 {
			// A declared name met later renames an inferred one.
			ep.Path = template.Parse(ep.Path).WithParams(ep.PathParams).String()
		}
	}
	ep.Paths = addPaths(ep.Paths, obs.Paths)
	ep.Shape = schema.MergeShapes(ep.Shape, obs.Shape)
	ep.Sensitive = mergeFindings(ep.Sensitive, obs.Sensitive)
	ep.SensitiveTypes = nil
	for _, f := range ep.Sensitive {
		if !slices.Contains(ep.SensitiveTypes, f.Type) {
			ep.SensitiveTypes = append(ep.SensitiveTypes, f.Type)
		}
	}
	slices.Sort(ep.SensitiveTypes)
	ep.Auth = authtype.Merge(ep.Auth, obs.Auth)
	ep.AuthTypes = authtype.Types(ep.Auth)
	ep.PostmanAuth = addStrings(ep.PostmanAuth, obs.PostmanAuth)
	ep.Removed, ep.RemovedAt, ep.RemovedByImport = false, nil, ""
}

// MarkRemoved records that an import of the endpoint's collection no
// longer has it. Marking again keeps the first time and import.
func MarkRemoved(ep Endpoint, importID string, now time.Time) Endpoint {
	if ep.Removed {
		return ep
	}
	t := now
	ep.Removed, ep.RemovedAt, ep.RemovedByImport = true, &t, importID
	ep.Version++
	return ep
}
