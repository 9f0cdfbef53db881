package store_test

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/authtype"
	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/sensitive"
	"github.com/apiscout/apiscout/shared/store"
)

// queryFixture is a small collection whose endpoints differ in every
// filtered and sorted field (and tie on some, to exercise the cursor).
func queryFixture(t *testing.T, s *store.Store) []inventory.Endpoint {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	removedAt := t0.Add(time.Hour)
	mk := func(id, method, host, path string, seen int, codes []int, auth []authtype.Type, sens []sensitive.Type) inventory.Endpoint {
		return inventory.Endpoint{
			ID: id, AccountID: "acc_1", CollectionID: "col_1", Method: method, Host: host, Scheme: "https", Path: path,
			StatusCodes: codes, AuthTypes: auth, SensitiveTypes: sens, Sources: []inventory.Source{},
			FirstSeen: t0, LastSeen: t0.Add(time.Duration(seen) * time.Minute), Version: 1,
		}
	}
	eps := []inventory.Endpoint{
		mk("ep_01", "GET", "api.example.com", "/users", 3, []int{200}, []authtype.Type{authtype.Bearer}, []sensitive.Type{sensitive.Email}),
		mk("ep_02", "POST", "api.example.com", "/users", 1, []int{201, 400}, []authtype.Type{authtype.Bearer}, nil),
		mk("ep_03", "GET", "api.example.com", "/users/{id}", 3, []int{200, 404}, []authtype.Type{authtype.Bearer}, []sensitive.Type{sensitive.Email, sensitive.Phone}),
		mk("ep_04", "DELETE", "api.example.com", "/users/{id}", 2, []int{204}, []authtype.Type{authtype.APIKey}, nil),
		mk("ep_05", "GET", "other.example.com:8443", "/users", 5, []int{200}, []authtype.Type{authtype.Unauthenticated}, nil),
		mk("ep_06", "GET", "api.example.com", "/Orders/{orderId}/Items", 4, []int{200}, []authtype.Type{authtype.Basic}, []sensitive.Type{sensitive.CreditCard}),
		mk("ep_07", "PUT", "api.example.com", "/v1/user.profile", 3, nil, nil, nil),
		mk("ep_08", "GET", "api.example.com", "/v1/userXprofile", 0, []int{200}, nil, nil),
		mk("ep_09", "GET", "legacy.example.com", "/old", 6, []int{410}, nil, nil),
	}
	eps[8].Removed, eps[8].RemovedAt = true, &removedAt
	// Another collection and another account, never listed.
	other := mk("ep_10", "GET", "api.example.com", "/users", 1, []int{200}, nil, nil)
	other.CollectionID = "col_2"
	foreign := mk("ep_11", "GET", "api.example.com", "/users", 1, []int{200}, nil, nil)
	foreign.AccountID = "acc_2"
	require.NoError(t, s.SaveEndpoints(context.Background(), append(slices.Clone(eps), other, foreign)))
	return eps
}

func TestQueryEndpointsFilters(t *testing.T) {
	t.Parallel()
	s := setup(t)
	queryFixture(t, s)
	yes, no := true, false
	for _, tc := range []struct {
		name   string
		filter store.EndpointFilter
		want   []string
	}{
		{"none", store.EndpointFilter{}, []string{"ep_01", "ep_02", "ep_03", "ep_04", "ep_05", "ep_06", "ep_07", "ep_08", "ep_09"}},
		{"one method", store.EndpointFilter{Methods: []string{"POST"}}, []string{"ep_02"}},
		{"methods", store.EndpointFilter{Methods: []string{"DELETE", "PUT"}}, []string{"ep_04", "ep_07"}},
		{"host with port", store.EndpointFilter{Host: "other.example.com:8443"}, []string{"ep_05"}},
		{"path prefix", store.EndpointFilter{PathPrefix: "/users/"}, []string{"ep_03", "ep_04"}},
		{"path prefix is literal", store.EndpointFilter{PathPrefix: "/v1/user."}, []string{"ep_07"}},
		{"path prefix is case-sensitive", store.EndpointFilter{PathPrefix: "/orders"}, nil},
		{"search ignores case", store.EndpointFilter{Search: "ORDERID"}, []string{"ep_06"}},
		{"search is literal", store.EndpointFilter{Search: "r.p"}, []string{"ep_07"}},
		{"search in the middle", store.EndpointFilter{Search: "{id}"}, []string{"ep_03", "ep_04"}},
		{"prefix and search", store.EndpointFilter{PathPrefix: "/users", Search: "{"}, []string{"ep_03", "ep_04"}},
		{"auth type", store.EndpointFilter{AuthType: "BEARER"}, []string{"ep_01", "ep_02", "ep_03"}},
		{"sensitive type", store.EndpointFilter{SensitiveType: "EMAIL"}, []string{"ep_01", "ep_03"}},
		{"sensitive type, second of two", store.EndpointFilter{SensitiveType: "PHONE_NUMBER"}, []string{"ep_03"}},
		{"status", store.EndpointFilter{Status: 404}, []string{"ep_03"}},
		{"status seen among others", store.EndpointFilter{Status: 400}, []string{"ep_02"}},
		{"removed", store.EndpointFilter{Removed: &yes}, []string{"ep_09"}},
		{"present", store.EndpointFilter{Removed: &no, Status: 410}, nil},
		{"everything at once", store.EndpointFilter{
			Methods: []string{"GET"}, Host: "api.example.com", PathPrefix: "/users", Search: "ID",
			AuthType: "BEARER", SensitiveType: "PHONE_NUMBER", Status: 200, Removed: &no,
		}, []string{"ep_03"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.QueryEndpoints(context.Background(), "acc_1", "col_1", store.EndpointQuery{Filter: tc.filter, Limit: 100})
			require.NoError(t, err)
			var ids []string
			for _, ep := range got {
				ids = append(ids, ep.ID)
			}
			slices.Sort(ids)
			require.Equal(t, tc.want, ids)
		})
	}
}

func TestQueryEndpointsSortAndPages(t *testing.T) {
	t.Parallel()
	s := setup(t)
	eps := queryFixture(t, s)
	cmpStrings := func(fields ...func(inventory.Endpoint) string) func(a, b inventory.Endpoint) int {
		return func(a, b inventory.Endpoint) int {
			for _, f := range fields {
				if c := strings.Compare(f(a), f(b)); c != 0 {
					return c
				}
			}
			return strings.Compare(a.ID, b.ID)
		}
	}
	path := func(e inventory.Endpoint) string { return e.Path }
	method := func(e inventory.Endpoint) string { return e.Method }
	host := func(e inventory.Endpoint) string { return e.Host }
	for _, tc := range []struct {
		sort  store.EndpointSort
		order func(a, b inventory.Endpoint) int
	}{
		{store.SortPath, cmpStrings(path, method, host)},
		{"", cmpStrings(path, method, host)},
		{store.SortMethod, cmpStrings(method, path, host)},
		{store.SortHost, cmpStrings(host, path, method)},
		{store.SortLastSeen, func(a, b inventory.Endpoint) int {
			return cmp.Or(a.LastSeen.Compare(b.LastSeen), strings.Compare(a.ID, b.ID))
		}},
		{store.SortLastSeenDesc, func(a, b inventory.Endpoint) int {
			return cmp.Or(b.LastSeen.Compare(a.LastSeen), strings.Compare(b.ID, a.ID))
		}},
	} {
		for _, limit := range []int{1, 2, 4, 100} {
			t.Run(string(tc.sort)+"/"+strconv.Itoa(limit), func(t *testing.T) {
				t.Parallel()
				want := slices.Clone(eps)
				slices.SortFunc(want, tc.order)
				var got []inventory.Endpoint
				q := store.EndpointQuery{Sort: tc.sort, Limit: limit}
				for range len(eps) + 2 {
					page, err := s.QueryEndpoints(context.Background(), "acc_1", "col_1", q)
					require.NoError(t, err)
					got = append(got, page...)
					if len(page) < limit {
						break
					}
					c := store.CursorOf(page[len(page)-1])
					q.After = &c
				}
				require.Equal(t, idsOf(want), idsOf(got))
			})
		}
	}
}

func idsOf(eps []inventory.Endpoint) []string {
	out := make([]string, len(eps))
	for i, ep := range eps {
		out[i] = ep.ID
	}
	return out
}
