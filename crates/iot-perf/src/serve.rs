//! `iot-perf serve`: `/metrics` for a Prometheus scrape, the latest state of every run in
//! the history as one OpenMetrics exposition ([`crate::export::openmetrics_runs`]), read
//! afresh on each request (the history is opened read-only, so ingest keeps writing).

use std::path::Path;

use anyhow::{Result, anyhow};
use tiny_http::{Header, Response, Server};

use crate::db::History;
use crate::export::openmetrics_runs;

/// Content type of the OpenMetrics text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The body of `/metrics`.
pub fn metrics(history: &Path) -> Result<String> {
    let history = History::open_read(history)?;
    Ok(openmetrics_runs(&history.latest_states()?))
}

/// Serves `/metrics` on `listen` until `max_requests` requests were answered (forever
/// without it); prints the address it listens on first.
pub fn serve(listen: &str, history: &Path, max_requests: Option<u64>) -> Result<()> {
    let server = Server::http(listen).map_err(|e| anyhow!("listening on {listen}: {e}"))?;
    println!("serving http://{}/metrics", server.server_addr());
    for (answered, request) in (1u64..).zip(server.incoming_requests()) {
        let response = match request.url() {
            "/metrics" => match metrics(history) {
                Ok(body) => {
                    let response = Response::from_string(body);
                    match Header::from_bytes("Content-Type", CONTENT_TYPE) {
                        Ok(h) => response.with_header(h),
                        Err(()) => response,
                    }
                }
                Err(e) => Response::from_string(format!("{e:#}\n")).with_status_code(500),
            },
            _ => Response::from_string("only /metrics here\n").with_status_code(404),
        };
        let _ = request.respond(response);
        if max_requests.is_some_and(|n| answered >= n) {
            break;
        }
    }
    Ok(())
}
