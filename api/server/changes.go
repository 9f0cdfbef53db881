package server

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/apiscout/apiscout/shared/changes"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/store"
)

// changeSetView is a change set as the API shows it.
type changeSetView struct {
	changes.Set
	Summary changes.Summary `json:"summary"`
}

// listChanges lists what each import (or sync) changed in a collection,
// newest first.
func (s *Server) listChanges(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := s.store.GetCollection(ctx, accountID(c), c.Param("id")); err != nil {
		return notFound(err)
	}
	p, limit, err := pageOf(c)
	if err != nil {
		return err
	}
	sets, err := s.store.ListChanges(ctx, accountID(c), c.Param("id"), p)
	if err != nil {
		return err
	}
	views := make([]changeSetView, len(sets))
	for i, set := range sets {
		views[i] = changeSetView{Set: set, Summary: set.Summarize()}
	}
	return respondList(c, views, limit, func(v changeSetView) string { return v.ImportID })
}

// importView is an import as the API shows it: with the summary of what it
// changed in its collection once it has recorded that.
type importView struct {
	inventory.Import
	Changes *changes.Summary `json:"changes,omitempty"`
}

func (s *Server) importView(c echo.Context, imp inventory.Import) (importView, error) {
	if imp.FinishedAt != nil {
		// Recorded when it finished: one small read instead of its whole
		// change set (up to changes.MaxChanges entries).
		sum, err := s.store.ImportChanges(c.Request().Context(), imp.AccountID, imp.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return importView{}, err
		}
		if sum != nil {
			return importView{Import: imp, Changes: sum}, nil
		}
	}
	set, err := s.store.ChangesOfImport(c.Request().Context(), imp.AccountID, imp.ID)
	if errors.Is(err, store.ErrNotFound) {
		return importView{Import: imp}, nil
	}
	if err != nil {
		return importView{}, err
	}
	sum := set.Summarize()
	return importView{Import: imp, Changes: &sum}, nil
}
