//! Metrics, at `GET /metrics`, in the Prometheus text format (version 0.0.4), written by hand.
//!
//! - `semaine_http_requests_total{method,route,status}`: requests answered, by method, matched
//!   route template (`unmatched` when no route matched) and status.
//! - `semaine_http_request_duration_seconds{route}`: a histogram of the time to answer, by route
//!   ([`BUCKETS`]).
//! - `semaine_command_outcomes_total{code}`: the answers of the command routes (the POSTs that
//!   need a key), `ok` for a success, the problem's code otherwise.
//! - `semaine_http_panics_total`: requests whose handler panicked, answered `500`
//!   ([`crate::panics`]).
//! - `semaine_projection_checkpoint{projection,stream}`: the last sequence of each stream a
//!   projection given to the gateway has applied ([`crate::AppState::with_projection`]).
//! - `semaine_projection_lag{projection}`: how many messages of its streams it has not applied
//!   yet, measured when scraped (absent while the streams cannot be asked).
//!
//! The counters live in the process, from its start; [`record`] is the middleware that counts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::ProblemCode;
use crate::routes::{Access, AppState, ROUTES};

/// The upper bounds of the duration histogram's buckets, in seconds (and `+Inf`).
pub const BUCKETS: [f64; 9] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// The media type of the text format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// How long a scrape waits for a stream's last sequence.
const STREAM_INFO_TIMEOUT: Duration = Duration::from_secs(2);

/// One route's histogram.
#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Per bucket of [`BUCKETS`], the observations at most its bound (cumulative).
    buckets: [u64; BUCKETS.len()],
    /// Every observation.
    count: u64,
    /// Their sum, in seconds.
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bucket, bound) in self.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// What is counted.
#[derive(Debug, Default)]
struct Counters {
    /// Requests, by method, route and status.
    requests: BTreeMap<(&'static str, &'static str, u16), u64>,
    /// Durations, by route.
    durations: BTreeMap<&'static str, Histogram>,
    /// Command answers, by outcome.
    outcomes: BTreeMap<&'static str, u64>,
    /// Requests whose handler panicked (answered `500` by [`crate::panics`]).
    panics: u64,
}

/// The gateway's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

/// Where a projection stands, as `/metrics` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionGauges {
    /// Its name.
    pub name: &'static str,
    /// Its checkpoint per stream.
    pub checkpoints: BTreeMap<String, u64>,
    /// Its lag, when the streams' ends are known.
    pub lag: Option<u64>,
}

impl Metrics {
    /// Counts one answered request. `outcome` is set for the command routes.
    pub fn observe(
        &self,
        method: &'static str,
        route: &'static str,
        status: u16,
        elapsed: Duration,
        outcome: Option<&'static str>,
    ) {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *counters
            .requests
            .entry((method, route, status))
            .or_default() += 1;
        counters
            .durations
            .entry(route)
            .or_default()
            .observe(elapsed.as_secs_f64());
        if let Some(outcome) = outcome {
            *counters.outcomes.entry(outcome).or_default() += 1;
        }
    }

    /// Counts a request whose handler panicked.
    pub fn panicked(&self) {
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .panics += 1;
    }

    /// The text format of the counters and of `projections`.
    pub fn render(&self, projections: &[ProjectionGauges]) -> String {
        let mut text = String::new();
        {
            let counters = self
                .counters
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            render_counters(&mut text, &counters);
        }
        render_projections(&mut text, projections);
        text
    }
}

/// A label value, escaped as the text format wants it.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample's value.
fn number(value: f64) -> String {
    if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

fn render_counters(text: &mut String, counters: &Counters) {
    // Writing to a String cannot fail.
    let _ = writeln!(
        text,
        "# HELP semaine_http_requests_total HTTP requests answered, by method, route template and status.\n\
         # TYPE semaine_http_requests_total counter"
    );
    for ((method, route, status), count) in &counters.requests {
        let _ = writeln!(
            text,
            "semaine_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
            label(method),
            label(route),
        );
    }
    let _ = writeln!(
        text,
        "# HELP semaine_http_request_duration_seconds Time to answer an HTTP request, by route template.\n\
         # TYPE semaine_http_request_duration_seconds histogram"
    );
    for (route, histogram) in &counters.durations {
        let route = label(route);
        for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
            let _ = writeln!(
                text,
                "semaine_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{}\"}} {count}",
                number(*bound),
            );
        }
        let _ = writeln!(
            text,
            "semaine_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
             semaine_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
             semaine_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            histogram.count,
            number(histogram.sum),
            histogram.count,
        );
    }
    let _ = writeln!(
        text,
        "# HELP semaine_command_outcomes_total Answers of the command routes: ok, or the problem's code.\n\
         # TYPE semaine_command_outcomes_total counter"
    );
    for (code, count) in &counters.outcomes {
        let _ = writeln!(
            text,
            "semaine_command_outcomes_total{{code=\"{}\"}} {count}",
            label(code)
        );
    }
    let _ = writeln!(
        text,
        "# HELP semaine_http_panics_total Requests whose handler panicked, answered 500.\n\
         # TYPE semaine_http_panics_total counter\n\
         semaine_http_panics_total {}",
        counters.panics
    );
}

fn render_projections(text: &mut String, projections: &[ProjectionGauges]) {
    let _ = writeln!(
        text,
        "# HELP semaine_projection_checkpoint The last stream sequence a projection applied.\n\
         # TYPE semaine_projection_checkpoint gauge"
    );
    for projection in projections {
        for (stream, seq) in &projection.checkpoints {
            let _ = writeln!(
                text,
                "semaine_projection_checkpoint{{projection=\"{}\",stream=\"{}\"}} {seq}",
                label(projection.name),
                label(stream),
            );
        }
    }
    let _ = writeln!(
        text,
        "# HELP semaine_projection_lag Messages of its streams a projection has not applied yet.\n\
         # TYPE semaine_projection_lag gauge"
    );
    for projection in projections {
        if let Some(lag) = projection.lag {
            let _ = writeln!(
                text,
                "semaine_projection_lag{{projection=\"{}\"}} {lag}",
                label(projection.name),
            );
        }
    }
}

/// The method as a label: the usual ones, `other` for the rest (so that a client cannot make
/// up label values).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The middleware: times the request and counts its answer under its route template. It runs
/// after routing, so that the matched route is known.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let response = next.run(request).await;
    let route = matched
        .as_deref()
        .and_then(|matched| ROUTES.iter().find(|route| route.path == matched))
        .map_or(UNMATCHED, |route| route.path);
    let is_command = matched
        .as_deref()
        .is_some_and(|matched| is_command(method, matched));
    let outcome = is_command.then(|| {
        if response.status().is_success() {
            "ok"
        } else {
            response
                .extensions()
                .get::<ProblemCode>()
                .map_or("unknown", |code| code.0)
        }
    });
    state.metrics.observe(
        method,
        route,
        response.status().as_u16(),
        started.elapsed(),
        outcome,
    );
    response
}

/// `GET /metrics`: the counters, and where the projections given stand (their lag measured now).
pub(crate) async fn serve(State(state): State<AppState>) -> Response {
    let mut ends: BTreeMap<String, Option<u64>> = BTreeMap::new();
    let mut projections = Vec::new();
    for (name, progress) in &state.projections {
        let checkpoints = progress.borrow().checkpoints.clone();
        let mut lag = Some(0u64);
        for (stream, checkpoint) in &checkpoints {
            let end = match ends.get(stream) {
                Some(end) => *end,
                None => {
                    let asked =
                        tokio::time::timeout(STREAM_INFO_TIMEOUT, state.log.last_sequence(stream))
                            .await;
                    let end = match asked {
                        Ok(Ok(end)) => Some(end),
                        Ok(Err(e)) => {
                            tracing::warn!(stream, error = %e, "cannot read a stream's end for /metrics");
                            None
                        }
                        Err(_) => None,
                    };
                    ends.insert(stream.clone(), end);
                    end
                }
            };
            lag = lag
                .zip(end)
                .map(|(lag, end)| lag + end.saturating_sub(*checkpoint));
        }
        projections.push(ProjectionGauges {
            name,
            checkpoints,
            lag,
        });
    }
    let mut response = state.metrics.render(&projections).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
    response
}

/// Whether a method on a route template is a command: its answers are counted by outcome.
fn is_command(method: &str, path: &str) -> bool {
    ROUTES.iter().any(|route| {
        route.path == path
            && route.method.as_str() == method
            && matches!(route.access, Access::Key(_))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_histograms_and_projections_in_the_text_format() {
        let metrics = Metrics::default();
        metrics.observe(
            "POST",
            "/registrations",
            201,
            Duration::from_millis(7),
            Some("ok"),
        );
        metrics.observe(
            "POST",
            "/registrations",
            409,
            Duration::from_millis(300),
            Some("seats-not-open"),
        );
        metrics.observe("GET", UNMATCHED, 404, Duration::from_millis(1), None);
        let text = metrics.render(&[ProjectionGauges {
            name: "catalogue",
            checkpoints: BTreeMap::from([("REGISTRATION".to_owned(), 41)]),
            lag: Some(3),
        }]);
        for line in [
            "# TYPE semaine_http_requests_total counter",
            "semaine_http_requests_total{method=\"POST\",route=\"/registrations\",status=\"201\"} 1",
            "semaine_http_requests_total{method=\"POST\",route=\"/registrations\",status=\"409\"} 1",
            "semaine_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
            "# TYPE semaine_http_request_duration_seconds histogram",
            "semaine_http_request_duration_seconds_bucket{route=\"/registrations\",le=\"0.005\"} 0",
            "semaine_http_request_duration_seconds_bucket{route=\"/registrations\",le=\"0.01\"} 1",
            "semaine_http_request_duration_seconds_bucket{route=\"/registrations\",le=\"0.25\"} 1",
            "semaine_http_request_duration_seconds_bucket{route=\"/registrations\",le=\"0.5\"} 2",
            "semaine_http_request_duration_seconds_bucket{route=\"/registrations\",le=\"+Inf\"} 2",
            "semaine_http_request_duration_seconds_count{route=\"/registrations\"} 2",
            "semaine_command_outcomes_total{code=\"ok\"} 1",
            "semaine_command_outcomes_total{code=\"seats-not-open\"} 1",
            "semaine_projection_checkpoint{projection=\"catalogue\",stream=\"REGISTRATION\"} 41",
            "semaine_projection_lag{projection=\"catalogue\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(text.lines().any(|l| l.starts_with(
            "semaine_http_request_duration_seconds_sum{route=\"/registrations\"} 0.30"
        )));
        // Every sample line is `name{labels} value`, after its HELP and TYPE.
        for sample in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = sample.rsplit_once(' ').unwrap_or_default();
            assert!(value.parse::<f64>().is_ok(), "{sample}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn only_the_keyed_posts_are_commands() {
        assert!(is_command("POST", "/registrations"));
        assert!(!is_command("GET", "/registrations"));
        assert!(!is_command("GET", "/catalogue/sessions"));
        assert!(!is_command("GET", "/metrics"));
    }
}
