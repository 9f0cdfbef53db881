// Package config reads apiscout's configuration from APISCOUT_* environment
// variables. Every variable has a documented default (see Vars) and the whole
// configuration is validated at start, before any connection is made.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apiscout/apiscout/shared/egress"
)

// Prefix is the prefix of every environment variable apiscout reads.
const Prefix = "APISCOUT_"

// Defaults, one named constant each.
const (
	DefaultHTTPAddr           = "127.0.0.1:8080"
	DefaultWorkerAdminAddr    = "127.0.0.1:9091"
	DefaultMongoDB            = "apiscout"
	DefaultMaxUploadBytes     = 25 << 20
	DefaultSamplesPerEndpoint = 10
	DefaultSampleBodyMax      = 1 << 20
	DefaultWorkerConcurrency  = 50
	DefaultImportConcurrency  = 2
	DefaultTaskMaxRetry       = 8
	DefaultShutdownTimeout    = 25 * time.Second
	DefaultLogLevel           = "info"
	DefaultDataDir            = "data"
	DefaultReplayEgress       = "public"
	DefaultReplayMaxRetry     = 3
	DefaultReplayMaxInFlight  = 50
	DefaultReplayBatchSize    = 100
	DefaultRedactSamples      = true

	DefaultPostmanAPIURL       = "https://api.getpostman.com"
	DefaultPostmanRateLimit    = 300
	DefaultPostmanTimeout      = 60 * time.Second
	DefaultSchedulerAdminAddr  = "127.0.0.1:9092"
	DefaultSchedulerInterval   = 30 * time.Second
	DefaultScheduleMinInterval = 15 * time.Minute
	DefaultQueueUIReadOnly     = true
	DefaultQueueMetrics        = QueueMetricsAPI
)

// Values of QUEUE_METRICS: the one process kind that exports asynq's queue
// metrics (every scrape of it reads the queues from Redis).
const (
	QueueMetricsAPI       = "api"
	QueueMetricsScheduler = "scheduler"
	QueueMetricsOff       = "off"
)

// Config is the effective configuration of every apiscout binary.
type Config struct {
	// HTTPAddr is the API's listen address.
	HTTPAddr string
	// WorkerAdminAddr is where a worker serves /metrics, /livez and /readyz;
	// "off" disables it.
	WorkerAdminAddr string
	// RedisURL is a redis:// (or rediss://) URL. Empty only in embedded mode.
	RedisURL string
	// MongoURI is a mongodb:// URI. Empty only in embedded mode.
	MongoURI string
	// MongoDB is the database name.
	MongoDB string
	// MaxUploadBytes caps an uploaded collection (and environment) file.
	MaxUploadBytes int64
	// SamplesPerEndpoint is how many samples an endpoint keeps (newest win).
	SamplesPerEndpoint int
	// SampleBodyMax caps a stored sample body; longer bodies are truncated
	// and marked.
	SampleBodyMax int
	// WorkerConcurrency is the number of tasks a worker runs at once.
	WorkerConcurrency int
	// ImportConcurrency is how many of them may parse collections
	// (import:collection, sync:workspace) at once.
	ImportConcurrency int
	// TaskMaxRetry is how often a failing task is retried before it is archived.
	TaskMaxRetry int
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// DataDir holds embedded-mode data (make run).
	DataDir string
	// DevToken, when set, is the embedded-mode dev account's token.
	DevToken string
	// ReplayEgress is "public" (SSRF guard: no private targets) or
	// "allowlist" (only ReplayAllowCIDRs / ReplayAllowHosts).
	ReplayEgress string
	// ReplayAllowCIDRs and ReplayAllowHosts open targets an operator
	// trusts (comma-separated).
	ReplayAllowCIDRs string
	ReplayAllowHosts string
	// ReplayMaxRetry is how often a replay is retried on 5xx, 429 or a
	// network error before its final reason is recorded.
	ReplayMaxRetry int
	// ReplayMaxInFlight caps one account's replays in flight across workers.
	ReplayMaxInFlight int
	// ReplayBatchSize is how many replay results are written in one batch.
	ReplayBatchSize int
	// RedactSamples replaces credentials (Authorization, cookies, API keys,
	// secret-named fields) and every detected sensitive value (emails,
	// cards, tokens...) in stored samples, saved examples and replays alike
	// (default true). False stores them as sent and received; detection
	// still runs and the findings are still recorded.
	RedactSamples bool

	// SecretKey (base64, 32 bytes) seals stored Postman API keys; empty
	// disables the credential routes. SecretKeyPrevious still opens what
	// the key before it sealed (rotation).
	SecretKey         string
	SecretKeyPrevious string
	// PostmanAPIURL is the Postman API base URL.
	PostmanAPIURL string
	// PostmanRateLimit is the most Postman API requests per minute and key,
	// shared by every process through Redis.
	PostmanRateLimit int
	// PostmanTimeout bounds one Postman API request.
	PostmanTimeout time.Duration
	// SchedulerAdminAddr is where the scheduler serves /metrics, /livez and
	// /readyz; "off" disables it.
	SchedulerAdminAddr string
	// SchedulerInterval is how often the scheduler re-reads the schedules.
	SchedulerInterval time.Duration
	// ScheduleMinInterval is the shortest period a workspace schedule may have.
	ScheduleMinInterval time.Duration

	// AdminUser and AdminPassword are the operators' basic-auth credentials
	// for the queue dashboard; when either is empty it is not mounted.
	AdminUser     string
	AdminPassword string
	// QueueUIReadOnly restricts the queue dashboard to viewing (default true).
	QueueUIReadOnly bool
	// QueueUIPrometheusURL, when set, lets the queue dashboard chart queue
	// history from that Prometheus.
	QueueUIPrometheusURL string
	// QueueMetrics names the process kind that exports the asynq queue
	// metrics: QueueMetricsAPI (default), QueueMetricsScheduler or
	// QueueMetricsOff. Workers never do.
	QueueMetrics string
}

// Var documents one environment variable.
type Var struct {
	Name    string
	Default string
	Help    string
	Secret  bool
}

// Vars lists every variable apiscout reads, with its default; --help prints it
// and the README mirrors it.
var Vars = []Var{
	{"HTTP_ADDR", DefaultHTTPAddr, "API listen address", false},
	{"WORKER_ADMIN_ADDR", DefaultWorkerAdminAddr, "worker /metrics, /livez, /readyz address (\"off\" disables)", false},
	{"REDIS_URL", "", "Redis URL, e.g. redis://127.0.0.1:6379/0 (required; make run embeds one when unset)", true},
	{"MONGO_URI", "", "MongoDB URI, e.g. mongodb://127.0.0.1:27017 (required; make run embeds FerretDB when unset)", true},
	{"MONGO_DB", DefaultMongoDB, "MongoDB database name", false},
	{"MAX_UPLOAD_BYTES", strconv.Itoa(DefaultMaxUploadBytes), "largest accepted collection or environment file, bytes", false},
	{"SAMPLES_PER_ENDPOINT", strconv.Itoa(DefaultSamplesPerEndpoint), "samples kept per endpoint (newest win)", false},
	{"SAMPLE_BODY_MAX", strconv.Itoa(DefaultSampleBodyMax), "bytes of a sample body kept before truncation", false},
	{"WORKER_CONCURRENCY", strconv.Itoa(DefaultWorkerConcurrency), "tasks a worker process runs at once (replays wait on remote servers, so many)", false},
	{"IMPORT_CONCURRENCY", strconv.Itoa(DefaultImportConcurrency), "of those, collection imports and workspace syncs a worker runs at once (they take CPU and memory)", false},
	{"TASK_MAX_RETRY", strconv.Itoa(DefaultTaskMaxRetry), "retries of a failing task before it is archived", false},
	{"SHUTDOWN_TIMEOUT", DefaultShutdownTimeout.String(), "graceful shutdown bound", false},
	{"LOG_LEVEL", DefaultLogLevel, "debug, info, warn or error", false},
	{"DATA_DIR", DefaultDataDir, "embedded-mode data folder (make run)", false},
	{"DEV_TOKEN", "", "embedded mode: the dev account's token is exactly this value", true},
	{"REPLAY_EGRESS", DefaultReplayEgress, "replay targets: public (refuse private, loopback, link-local...) or allowlist (only the allowlists)", false},
	{"REPLAY_ALLOW_CIDRS", "", "comma-separated IPs/CIDRs replay may reach in any mode, e.g. 127.0.0.1,10.0.0.0/8", false},
	{"REPLAY_ALLOW_HOSTS", "", "comma-separated host names replay may reach in any mode", false},
	{"REPLAY_MAX_RETRY", strconv.Itoa(DefaultReplayMaxRetry), "retries of a replay on 5xx, 429 or a network error", false},
	{"REPLAY_MAX_IN_FLIGHT", strconv.Itoa(DefaultReplayMaxInFlight), "replays of one account in flight at once, across workers", false},
	{"REPLAY_BATCH_SIZE", strconv.Itoa(DefaultReplayBatchSize), "replay results written per batch", false},
	{"REDACT_SAMPLES", strconv.FormatBool(DefaultRedactSamples), "redact credentials and detected sensitive values in stored samples (false stores them as sent)", false},
	{"SECRET_KEY", "", "32 bytes in base64 sealing stored Postman API keys (make run generates one)", true},
	{"SECRET_KEY_PREVIOUS", "", "the key before SECRET_KEY, still accepted for decryption during a rotation", true},
	{"POSTMAN_API_URL", DefaultPostmanAPIURL, "Postman API base URL", false},
	{"POSTMAN_RATE_LIMIT", strconv.Itoa(DefaultPostmanRateLimit), "Postman API requests per minute and API key, across all processes", false},
	{"POSTMAN_TIMEOUT", DefaultPostmanTimeout.String(), "timeout of one Postman API request", false},
	{"SCHEDULER_ADMIN_ADDR", DefaultSchedulerAdminAddr, "scheduler /metrics, /livez, /readyz address (\"off\" disables)", false},
	{"SCHEDULER_INTERVAL", DefaultSchedulerInterval.String(), "how often the scheduler re-reads workspace schedules", false},
	{"SCHEDULE_MIN_INTERVAL", DefaultScheduleMinInterval.String(), "shortest period a workspace schedule may have", false},
	{"ADMIN_USER", "", "operator user for the queue dashboard at /monitoring/queues (basic auth; unset: not mounted)", false},
	{"ADMIN_PASSWORD", "", "operator password for the queue dashboard (unset: not mounted)", true},
	{"QUEUE_UI_READ_ONLY", strconv.FormatBool(DefaultQueueUIReadOnly), "queue dashboard only views (false lets operators retry, delete, pause)", false},
	{"QUEUE_UI_PROMETHEUS_URL", "", "Prometheus the queue dashboard charts history from, e.g. http://prometheus:9090", false},
	{"QUEUE_METRICS", DefaultQueueMetrics, "process kind exporting the asynq_* queue metrics: api, scheduler or off (never workers)", false},
}

// Load reads the configuration from getenv (os.Getenv when nil) and
// validates it. Required connection settings are checked by RequireServices,
// since embedded mode fills them in after Load.
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(Prefix + name)); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	var errs []error
	integer := func(name string, min int64) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil || n < min {
			errs = append(errs, fmt.Errorf("%s%s: want an integer >= %d, got %q", Prefix, name, min, get(name)))
		}
		return n
	}
	c := Config{
		HTTPAddr:           get("HTTP_ADDR"),
		WorkerAdminAddr:    get("WORKER_ADMIN_ADDR"),
		RedisURL:           get("REDIS_URL"),
		MongoURI:           get("MONGO_URI"),
		MongoDB:            get("MONGO_DB"),
		MaxUploadBytes:     integer("MAX_UPLOAD_BYTES", 1024),
		SamplesPerEndpoint: int(integer("SAMPLES_PER_ENDPOINT", 1)),
		SampleBodyMax:      int(integer("SAMPLE_BODY_MAX", 0)),
		WorkerConcurrency:  int(integer("WORKER_CONCURRENCY", 1)),
		ImportConcurrency:  int(integer("IMPORT_CONCURRENCY", 1)),
		TaskMaxRetry:       int(integer("TASK_MAX_RETRY", 0)),
		LogLevel:           strings.ToLower(get("LOG_LEVEL")),
		DataDir:            get("DATA_DIR"),
		DevToken:           get("DEV_TOKEN"),
		ReplayEgress:       strings.ToLower(get("REPLAY_EGRESS")),
		ReplayAllowCIDRs:   get("REPLAY_ALLOW_CIDRS"),
		ReplayAllowHosts:   get("REPLAY_ALLOW_HOSTS"),
		ReplayMaxRetry:     int(integer("REPLAY_MAX_RETRY", 0)),
		ReplayMaxInFlight:  int(integer("REPLAY_MAX_IN_FLIGHT", 1)),
		ReplayBatchSize:    int(integer("REPLAY_BATCH_SIZE", 1)),
	}
	redact, err := strconv.ParseBool(get("REDACT_SAMPLES"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%sREDACT_SAMPLES: want true or false, got %q", Prefix, get("REDACT_SAMPLES")))
	}
	c.RedactSamples = redact
	if _, err := egress.ParsePolicy(c.ReplayEgress, c.ReplayAllowCIDRs, c.ReplayAllowHosts); err != nil {
		errs = append(errs, fmt.Errorf("%sREPLAY_*: %w", Prefix, err))
	}
	loadWorkspaces(&c, get, integer, &errs)
	d, err := time.ParseDuration(get("SHUTDOWN_TIMEOUT"))
	if err != nil || d <= 0 {
		errs = append(errs, fmt.Errorf("%sSHUTDOWN_TIMEOUT: want a positive duration like 25s, got %q", Prefix, get("SHUTDOWN_TIMEOUT")))
	}
	c.ShutdownTimeout = d
	errs = append(errs, c.loadOperators(get)...)
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("%sHTTP_ADDR: want host:port, got %q", Prefix, c.HTTPAddr))
	}
	if c.WorkerAdminAddr != "off" {
		if _, _, err := net.SplitHostPort(c.WorkerAdminAddr); err != nil {
			errs = append(errs, fmt.Errorf("%sWORKER_ADMIN_ADDR: want host:port or off, got %q", Prefix, c.WorkerAdminAddr))
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			errs = append(errs, fmt.Errorf("%sREDIS_URL: want redis://host:port/db", Prefix))
		}
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		errs = append(errs, fmt.Errorf("%sMONGO_URI: want mongodb://... or mongodb+srv://...", Prefix))
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// RequireServices reports a missing Redis or MongoDB setting.
func (c Config) RequireServices() error {
	var errs []error
	if c.RedisURL == "" {
		errs = append(errs, errors.New(Prefix+"REDIS_URL is required (or use `make run` for embedded mode)"))
	}
	if c.MongoURI == "" {
		errs = append(errs, errors.New(Prefix+"MONGO_URI is required (or use `make run` for embedded mode)"))
	}
	return errors.Join(errs...)
}

// ParseLevel maps a LOG_LEVEL value to a slog level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%sLOG_LEVEL: want debug, info, warn or error, got %q", Prefix, s)
	}
	return l, nil
}

// NewLogger returns a JSON slog logger at the configured level.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	l, _ := ParseLevel(c.LogLevel)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// LogValue lets slog print the effective configuration with secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr),
		slog.String("worker_admin_addr", c.WorkerAdminAddr),
		slog.String("redis_url", MaskURL(c.RedisURL)),
		slog.String("mongo_uri", MaskURL(c.MongoURI)),
		slog.String("mongo_db", c.MongoDB),
		slog.Int64("max_upload_bytes", c.MaxUploadBytes),
		slog.Int("samples_per_endpoint", c.SamplesPerEndpoint),
		slog.Int("sample_body_max", c.SampleBodyMax),
		slog.Int("worker_concurrency", c.WorkerConcurrency),
		slog.Int("import_concurrency", c.ImportConcurrency),
		slog.Int("task_max_retry", c.TaskMaxRetry),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("log_level", c.LogLevel),
		slog.Bool("dev_token_set", c.DevToken != ""),
		slog.String("replay_egress", c.ReplayEgress),
		slog.String("replay_allow_cidrs", c.ReplayAllowCIDRs),
		slog.String("replay_allow_hosts", c.ReplayAllowHosts),
		slog.Int("replay_max_retry", c.ReplayMaxRetry),
		slog.Int("replay_max_in_flight", c.ReplayMaxInFlight),
		slog.Bool("redact_samples", c.RedactSamples),
		slog.Bool("sealing_key_set", c.SecretKey != ""),
		slog.Bool("sealing_key_previous_set", c.SecretKeyPrevious != ""),
		slog.String("postman_api_url", MaskURL(c.PostmanAPIURL)),
		slog.Int("postman_rate_limit", c.PostmanRateLimit),
		slog.Duration("postman_timeout", c.PostmanTimeout),
		slog.String("scheduler_admin_addr", c.SchedulerAdminAddr),
		slog.Duration("scheduler_interval", c.SchedulerInterval),
		slog.Duration("schedule_min_interval", c.ScheduleMinInterval),
		slog.String("admin_user", c.AdminUser),
		slog.Bool("admin_password_set", c.AdminPassword != ""),
		slog.Bool("queue_ui_read_only", c.QueueUIReadOnly),
		slog.String("queue_ui_prometheus_url", MaskURL(c.QueueUIPrometheusURL)),
		slog.String("queue_metrics", c.QueueMetrics),
	)
}

// MaskURL hides the password of a URL's user info.
func MaskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && s != "" {
			return "(unparsable, hidden)"
		}
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Usage writes every variable with its default, for --help.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "Environment variables:")
	for _, v := range Vars {
		def := v.Default
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "  %s%-22s %s (default %s)\n", Prefix, v.Name, v.Help, def)
	}
}

// EgressPolicy is the replay egress policy (validated by Load).
func (c Config) EgressPolicy() egress.Policy {
	p, _ := egress.ParsePolicy(c.ReplayEgress, c.ReplayAllowCIDRs, c.ReplayAllowHosts)
	return p
}

// FromArgs parses a binary's command line (its only flag is -h/--help, which
// prints usage and the variables) and loads the configuration. It returns
// the remaining arguments; help is true when usage was printed.
func FromArgs(name, usage string, args []string, getenv func(string) string, stderr io.Writer) (cfg Config, rest []string, help bool, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		Usage(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, errors.Is(err, flag.ErrHelp), ignoreHelp(err)
	}
	cfg, err = Load(getenv)
	return cfg, fs.Args(), false, err
}

func ignoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
