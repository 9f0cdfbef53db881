package config

import (
	"fmt"
	"net/url"
	"strconv"
)

// loadOperators reads the operator settings (queue dashboard, queue
// metrics) into c and returns what is wrong with them.
func (c *Config) loadOperators(get func(name string) string) []error {
	var errs []error
	c.AdminUser = get("ADMIN_USER")
	c.AdminPassword = get("ADMIN_PASSWORD")
	if (c.AdminUser == "") != (c.AdminPassword == "") {
		errs = append(errs, fmt.Errorf("%sADMIN_USER and %sADMIN_PASSWORD: set both (queue dashboard) or neither", Prefix, Prefix))
	}
	ro, err := strconv.ParseBool(get("QUEUE_UI_READ_ONLY"))
	if err != nil {
		errs = append(errs, fmt.Errorf("%sQUEUE_UI_READ_ONLY: want true or false, got %q", Prefix, get("QUEUE_UI_READ_ONLY")))
	}
	c.QueueUIReadOnly = ro
	c.QueueUIPrometheusURL = get("QUEUE_UI_PROMETHEUS_URL")
	if v := c.QueueUIPrometheusURL; v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%sQUEUE_UI_PROMETHEUS_URL: want http(s)://host:port, got %q", Prefix, v))
		}
	}
	c.QueueMetrics = get("QUEUE_METRICS")
	switch c.QueueMetrics {
	case QueueMetricsAPI, QueueMetricsScheduler, QueueMetricsOff:
	default:
		errs = append(errs, fmt.Errorf("%sQUEUE_METRICS: want api, scheduler or off, got %q", Prefix, c.QueueMetrics))
	}
	return errs
}

// QueueUIEnabled reports whether the queue dashboard may be mounted: only
// with operator credentials.
func (c Config) QueueUIEnabled() bool { return c.AdminUser != "" && c.AdminPassword != "" }
