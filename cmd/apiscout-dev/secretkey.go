package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apiscout/apiscout/shared/secret"
)

// secretKeyFile holds the embedded-mode APISCOUT_SECRET_KEY in the data folder.
const secretKeyFile = "secret.key"

// devSecretKey returns the embedded-mode secret key: the one kept in
// dataDir, or a fresh one written there (mode 0600) on first run, so stored
// Postman keys still open after a restart.
func devSecretKey(dataDir string) (key, path string, err error) {
	path = filepath.Join(dataDir, secretKeyFile)
	data, err := os.ReadFile(path)
	if err == nil {
		key = strings.TrimSpace(string(data))
		if _, err := secret.ParseKey(key); err != nil {
			return "", path, fmt.Errorf("%s: not a secret key (%v); remove it to get a new one", path, err)
		}
		return key, path, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", path, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", path, err
	}
	key = secret.NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", path, err
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", path, err
	}
	return key, path, f.Close()
}
