// Package postmanfake is a fake Postman API for tests, shaped by the real
// API's description (../shared/postman-api/openapi.yml): GET /me,
// /workspaces (cursor paging through meta.nextCursor), /workspaces/{id},
// /collections/{uid} ({"collection": ...} with info.updatedAt) and
// /environments/{uid}, both error shapes, 401 for an unknown key, a burst
// limit answering 429 with RetryAfter, a monthly quota, and injected
// failures. It listens on 127.0.0.1 only (httptest).
package postmanfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// inFlightGrace is how long after a 429 other requests of the same key may
// still arrive without counting as violations: they were sent before it.
const inFlightGrace = 100 * time.Millisecond

// Server is a running fake Postman API.
type Server struct {
	*httptest.Server

	mu           sync.Mutex
	users        map[string]int64 // API key -> user id
	workspaces   []*Workspace
	collections  map[string]*collection
	environments map[string][]byte
	failures     map[string]int // path -> status to answer

	burst      int
	window     time.Duration
	retryAfter time.Duration
	quota      bool

	recent     map[string][]time.Time // key -> request times within window
	heldFrom   map[string]time.Time   // key -> when the last 429 went out
	heldUntil  map[string]time.Time   // key -> end of its RetryAfter
	log        []Request
	violations int
}

// Workspace is a workspace the fake serves.
type Workspace struct {
	ID, Name, Type string
	Collections    []string // collection uids
	Environments   []string // environment uids
}

type collection struct {
	name, updatedAt string
	body            []byte
}

// Request is one request the fake received.
type Request struct {
	Time   time.Time
	Path   string
	Status int
}

// New starts a fake on 127.0.0.1 and closes it when t ends.
func New(t testing.TB) *Server {
	s := &Server{
		users: map[string]int64{}, collections: map[string]*collection{}, environments: map[string][]byte{},
		failures: map[string]int{}, recent: map[string][]time.Time{},
		heldFrom: map[string]time.Time{}, heldUntil: map[string]time.Time{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", s.me)
	mux.HandleFunc("GET /workspaces", s.listWorkspaces)
	mux.HandleFunc("GET /workspaces/{id}", s.getWorkspace)
	mux.HandleFunc("GET /collections/{uid}", s.getCollection)
	mux.HandleFunc("GET /environments/{uid}", s.getEnvironment)
	s.Server = httptest.NewServer(s.gate(mux))
	t.Cleanup(s.Close)
	return s
}

// AddKey makes key valid, belonging to user id.
func (s *Server) AddKey(key string, userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[key] = userID
}

// AddWorkspace serves a workspace.
func (s *Server) AddWorkspace(w Workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workspaces = append(s.workspaces, &w)
}

// SetCollection serves a collection file (any schema; the real API always
// answers v2.1, so tests use v2.1 files) under uid, with its info block
// given the uid, postmanID and updatedAt, wrapped as {"collection": ...}.
func (s *Server) SetCollection(uid, postmanID, updatedAt string, file []byte) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(file, &doc); err != nil {
		return fmt.Errorf("postmanfake: collection %s: %w", uid, err)
	}
	info := map[string]json.RawMessage{}
	if raw, ok := doc["info"]; ok {
		if err := json.Unmarshal(raw, &info); err != nil {
			return fmt.Errorf("postmanfake: collection %s info: %w", uid, err)
		}
	}
	var name string
	_ = json.Unmarshal(info["name"], &name)
	info["_postman_id"], _ = json.Marshal(postmanID)
	info["uid"], _ = json.Marshal(uid)
	info["updatedAt"], _ = json.Marshal(updatedAt)
	doc["info"], _ = json.Marshal(info)
	body, err := json.Marshal(map[string]any{"collection": doc})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.collections[uid] = &collection{name: name, updatedAt: updatedAt, body: body}
	return nil
}

// SetEnvironment serves an environment export under uid as
// {"environment": {...}} with id and updatedAt set.
func (s *Server) SetEnvironment(uid, updatedAt string, file []byte) error {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(file, &env); err != nil {
		return fmt.Errorf("postmanfake: environment %s: %w", uid, err)
	}
	env["id"], _ = json.Marshal(uid)
	env["updatedAt"], _ = json.Marshal(updatedAt)
	body, err := json.Marshal(map[string]any{"environment": env})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.environments[uid] = body
	return nil
}

// Fail makes GET path answer status (problem JSON for a 5xx); 0 heals it.
func (s *Server) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.failures, path)
		return
	}
	s.failures[path] = status
}

// LimitBurst answers 429 with RetryAfter when a key sends more than n
// requests within window; once the RetryAfter is over a new burst of n may
// go. n = 0 turns the limit off.
func (s *Server) LimitBurst(n int, window, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.burst, s.window, s.retryAfter = n, window, retryAfter
}

// ExhaustQuota makes every request answer the monthly-quota 429.
func (s *Server) ExhaustQuota(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota = on
}

// Requests returns what the fake received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Count returns how many requests were answered with status on path ("" for any path).
func (s *Server) Count(path string, status int) int {
	n := 0
	for _, r := range s.Requests() {
		if (path == "" || r.Path == path) && (status == 0 || r.Status == status) {
			n++
		}
	}
	return n
}

// Violations counts requests that arrived while a 429's RetryAfter was
// still running for their key: a client honouring RetryAfter sends none.
func (s *Server) Violations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.violations
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// gate checks the key, the quota and the burst limit, and records requests.
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.mu.Lock()
			s.log = append(s.log, Request{Time: time.Now(), Path: r.URL.Path, Status: rec.status})
			s.mu.Unlock()
		}()
		key := r.Header.Get("X-Api-Key")
		s.mu.Lock()
		_, known := s.users[key]
		now := time.Now()
		limited, retry := false, s.retryAfter
		if known && s.burst > 0 {
			if until := s.heldUntil[key]; now.Before(until) {
				// Requests already in flight when the 429 went out are
				// forgiven; later ones ignored the RetryAfter.
				if now.Sub(s.heldFrom[key]) > inFlightGrace {
					s.violations++
				}
				limited, retry = true, until.Sub(now)
			} else {
				kept := s.recent[key][:0]
				for _, t := range s.recent[key] {
					if now.Sub(t) < s.window {
						kept = append(kept, t)
					}
				}
				s.recent[key] = kept
				if len(kept) >= s.burst {
					// The burst is spent: hold, then allow a new one.
					limited = true
					s.heldFrom[key], s.heldUntil[key] = now, now.Add(s.retryAfter)
					s.recent[key] = nil
				} else {
					s.recent[key] = append(kept, now)
				}
			}
		}
		quota, failure := s.quota, s.failures[r.URL.Path]
		s.mu.Unlock()
		switch {
		case !known:
			writeJSON(rec, http.StatusUnauthorized, map[string]any{"error": map[string]string{
				"name": "AuthenticationError", "message": "Invalid API Key. Every request requires a valid API Key to be sent.",
			}})
		case quota:
			rec.Header().Set("X-RateLimit-Limit-Month", "1000")
			rec.Header().Set("X-RateLimit-Remaining-Month", "0")
			writeJSON(rec, http.StatusTooManyRequests, map[string]any{"error": map[string]string{
				"name": "serviceLimitExceeded", "message": "You've reached the monthly API usage limit for your plan.",
			}})
		case limited:
			secs := strconv.FormatFloat(retry.Seconds(), 'f', 3, 64)
			rec.Header().Set("RetryAfter", secs)
			rec.Header().Set("X-RateLimit-RetryAfter", secs)
			writeJSON(rec, http.StatusTooManyRequests, map[string]any{
				"error": "rateLimited", "message": "Rate limit exceeded. Please retry after " + secs + " seconds.",
			})
		case failure >= 500:
			writeJSON(rec, failure, map[string]any{
				"type": "https://api.postman.com/problems/internal-server-error", "title": "Internal Server Error",
				"detail": "Something went wrong on our end.", "status": failure,
			})
		case failure != 0:
			writeJSON(rec, failure, map[string]any{"error": map[string]string{"name": "injectedError", "message": "injected failure"}})
		default:
			next.ServeHTTP(rec, r)
		}
	})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	id := s.users[r.Header.Get("X-Api-Key")]
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"user":       map[string]any{"id": id, "username": fmt.Sprintf("user%d", id), "fullName": "Test User", "teamName": "Test Team", "teamId": 0},
		"operations": []map[string]any{{"name": "api_usage", "limit": 1000, "usage": 10, "overage": 0}},
	})
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	limit := len(s.workspaces) + 1
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"name": "invalidParamError", "message": "limit must be 1 to 100"}})
			return
		}
		limit = n
	}
	offset := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err == nil {
			offset, err = strconv.Atoi(string(b))
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"name": "invalidParamError", "message": "bad cursor"}})
			return
		}
	}
	s.mu.Lock()
	var items []map[string]any
	end := min(offset+limit, len(s.workspaces))
	for _, ws := range s.workspaces[min(offset, end):end] {
		items = append(items, map[string]any{
			"id": ws.ID, "name": ws.Name, "type": ws.Type, "visibility": ws.Type,
			"createdBy": "1", "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": "2025-01-01T00:00:00.000Z",
		})
	}
	more := end < len(s.workspaces)
	s.mu.Unlock()
	out := map[string]any{"workspaces": items}
	if r.URL.Query().Has("limit") {
		meta := map[string]any{}
		if more {
			meta["nextCursor"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		}
		out["meta"] = meta
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ws := range s.workspaces {
		if ws.ID != r.PathValue("id") {
			continue
		}
		cols := []map[string]string{}
		for _, uid := range ws.Collections {
			name := uid
			if c, ok := s.collections[uid]; ok {
				name = c.name
			}
			cols = append(cols, map[string]string{"id": uid, "name": name, "uid": uid})
		}
		envs := []map[string]string{}
		for _, uid := range ws.Environments {
			envs = append(envs, map[string]string{"id": uid, "name": uid, "uid": uid})
		}
		writeJSON(w, http.StatusOK, map[string]any{"workspace": map[string]any{
			"id": ws.ID, "name": ws.Name, "type": ws.Type, "visibility": ws.Type,
			"collections": cols, "environments": envs,
		}})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
		"name": "instanceNotFoundError", "message": "We could not find the workspace you are looking for", "statusCode": 404,
	}})
}

func (s *Server) getCollection(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.collections[r.PathValue("uid")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{
			"name": "instanceNotFoundError", "message": "We could not find the collection you are looking for",
		}})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(c.body)
}

func (s *Server) getEnvironment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.environments[r.PathValue("uid")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{
			"name": "instanceNotFoundError", "message": "We could not find the environment you are looking for",
		}})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
