//! Prometheus metrics through `prometheus-client` (the Prometheus project's Rust client): request
//! counts and latency histograms per route, and gauges set at scrape time (database pool, jobs).
//! One registry per application, so every app of a test process has its own figures (a global
//! recorder, as the `metrics` crate keeps, would mix them).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The figures read at scrape time, set just before the registry is encoded.
pub struct Gauges {
    pub db_pool_size: f64,
    pub db_pool_idle: f64,
    pub jobs_queued: f64,
    pub jobs_failed: f64,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_size: Gauge<f64, AtomicU64>,
    pool_idle: Gauge<f64, AtomicU64>,
    jobs_queued: Gauge<f64, AtomicU64>,
    jobs_failed: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("fanzha");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let [pool_size, pool_idle, jobs_queued, jobs_failed]: [Gauge<f64, AtomicU64>; 4] =
            Default::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Request latency",
            latency.clone(),
        );
        registry.register(
            "db_pool_size",
            "Open database connections",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_idle",
            "Idle database connections",
            pool_idle.clone(),
        );
        registry.register("jobs_queued", "Jobs waiting to run", jobs_queued.clone());
        registry.register("jobs_failed", "Jobs that gave up", jobs_failed.clone());
        Metrics {
            registry,
            requests,
            latency,
            pool_size,
            pool_idle,
            jobs_queued,
            jobs_failed,
        }
    }
}

impl Metrics {
    pub fn observe(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// The OpenMetrics text exposition, with the gauges read at this scrape.
    pub fn render(&self, g: &Gauges) -> String {
        self.pool_size.set(g.db_pool_size);
        self.pool_idle.set(g.db_pool_idle);
        self.jobs_queued.set(g.jobs_queued);
        self.jobs_failed.set(g.jobs_failed);
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics encoding");
        }
        out
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_histograms_per_route() {
        let m = Metrics::default();
        m.observe(&Method::GET, "/a", StatusCode::OK, Duration::from_millis(3));
        m.observe(
            &Method::GET,
            "/a",
            StatusCode::OK,
            Duration::from_millis(30),
        );
        let text = m.render(&Gauges {
            db_pool_size: 4.0,
            db_pool_idle: 3.0,
            jobs_queued: 0.0,
            jobs_failed: 1.0,
        });
        assert!(
            text.contains(
                "fanzha_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains(
            "fanzha_http_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",route=\"/a\"} 1"
        ) || text.contains(
            "fanzha_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"0.005\"} 1"
        ), "{text}");
        assert!(
            text.contains(
                "fanzha_http_request_duration_seconds_count{method=\"GET\",route=\"/a\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("fanzha_jobs_failed 1"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }
}
