package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// CorpusDir returns the folder of real Postman collections: the
// APISCOUT_CORPUS_DIR variable when set, else ../shared/corpus beside the
// repository root (the folder holding go.mod). It skips the test, saying
// where it looked, when the folder is absent.
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("APISCOUT_CORPUS_DIR")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Skipf("corpus: cannot find the repository root: %v", err)
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "corpus")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("corpus not found at %s: put the shared material beside the checkout (../shared/corpus) or set APISCOUT_CORPUS_DIR", dir)
	}
	return dir
}

// CorpusFile reads one file of the corpus (see CorpusDir); it skips the test
// when the file is absent.
func CorpusFile(t testing.TB, name string) []byte {
	t.Helper()
	path := filepath.Join(CorpusDir(t), name)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("corpus file %s is absent", path)
	}
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return data
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
