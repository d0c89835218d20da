package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"go.yaml.in/yaml/v3"
)

// DefaultConfigFile is read from the working directory when it exists
// and neither --config nor ARC_CONFIG names another file.
const DefaultConfigFile = "arc.yaml"

// Config is the optional config file:
//
//	database: postgres://app@localhost/app   # like --database
//	dir: db/migrations                       # like --dir
//
// Flags win over environment variables, which win over the file.
type Config struct {
	Database string `yaml:"database"`
	Dir      string `yaml:"dir"`
}

func readConfig(path string, explicit bool) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytesReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, errEOF) {
		// An unknown key or a malformed file is bad input, like a bad flag.
		return c, &usageError{fmt.Sprintf("config file %s: %v (known keys: database, dir)", path, err)}
	}
	return c, nil
}
