//! Forwarding to a time-series engine: InfluxDB line protocol (written by
//! [`crate::export::influx_points`]) POSTed over HTTP to an engine's write endpoint
//! (VictoriaMetrics `/write`, InfluxDB 1.x `/write?db=…`, InfluxDB 2 `/api/v2/write?…`).
//!
//! The forwarder never holds up ingest: lines wait in a backlog in memory and one thread
//! posts them in order, at most [`POST_LINES`] lines a request. When the engine is down
//! a post is retried with a growing pause (100 ms up to 2 s) until it is accepted; the
//! backlog is bounded (`max_backlog_lines`) and lines that do not fit are dropped and
//! counted (they are still in the history). Nothing is dropped while the backlog has room.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most lines in one write request.
pub const POST_LINES: usize = 5_000;
/// Longest pause between two attempts while the engine refuses.
const MAX_PAUSE: Duration = Duration::from_millis(2_000);

/// What the forwarder did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ForwardStats {
    /// Lines the engine accepted.
    pub forwarded_lines: u64,
    /// Lines waiting (queued or in a request being retried).
    pub backlog_lines: u64,
    /// Most lines that were ever waiting at once.
    pub backlog_peak_lines: u64,
    /// Lines dropped because the backlog was full.
    pub dropped_lines: u64,
    /// Write requests that failed (each was retried).
    pub failed_posts: u64,
}

/// A chunk of lines from one batch.
struct Chunk {
    text: String,
    lines: u64,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Chunk>>,
    wake: Condvar,
    stop: AtomicBool,
    forwarded: AtomicU64,
    backlog: AtomicU64,
    backlog_peak: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

/// Posts line protocol to an engine from a background thread.
pub struct Forwarder {
    shared: Arc<Shared>,
    max_backlog_lines: u64,
    worker: Option<JoinHandle<()>>,
}

impl Forwarder {
    /// Starts posting to `url` (the engine's write endpoint).
    pub fn start(url: &str, max_backlog_lines: u64) -> Self {
        let shared = Arc::new(Shared::default());
        let worker = {
            let shared = shared.clone();
            let url = url.to_owned();
            std::thread::spawn(move || work(&shared, &url))
        };
        Self {
            shared,
            max_backlog_lines,
            worker: Some(worker),
        }
    }

    /// Queues `text` (complete lines, each ending with `\n`); `false` when the backlog had
    /// no room and the lines were dropped (counted in [`ForwardStats::dropped_lines`]).
    pub fn push(&self, text: String) -> bool {
        let lines = text.bytes().filter(|&b| b == b'\n').count() as u64;
        if lines == 0 {
            return true;
        }
        let s = &self.shared;
        let Ok(mut queue) = s.queue.lock() else {
            s.dropped.fetch_add(lines, Ordering::Relaxed);
            return false;
        };
        let waiting = s.backlog.load(Ordering::Relaxed);
        if waiting + lines > self.max_backlog_lines {
            s.dropped.fetch_add(lines, Ordering::Relaxed);
            return false;
        }
        s.backlog.fetch_add(lines, Ordering::Relaxed);
        s.backlog_peak.fetch_max(waiting + lines, Ordering::Relaxed);
        queue.push_back(Chunk { text, lines });
        s.wake.notify_one();
        true
    }

    /// The counts so far.
    pub fn stats(&self) -> ForwardStats {
        let s = &self.shared;
        ForwardStats {
            forwarded_lines: s.forwarded.load(Ordering::Relaxed),
            backlog_lines: s.backlog.load(Ordering::Relaxed),
            backlog_peak_lines: s.backlog_peak.load(Ordering::Relaxed),
            dropped_lines: s.dropped.load(Ordering::Relaxed),
            failed_posts: s.failed.load(Ordering::Relaxed),
        }
    }

    /// Waits up to `drain` for the backlog to empty, then stops; what is still waiting
    /// stays counted in [`ForwardStats::backlog_lines`].
    pub fn finish(mut self, drain: Duration) -> ForwardStats {
        let deadline = Instant::now() + drain;
        while self.shared.backlog.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        self.stats()
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An HTTP client for the engine (plain HTTP), each request limited to `timeout`.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// The worker: takes up to [`POST_LINES`] lines from the front, posts them until the
/// engine accepts them (or the forwarder stops), repeats.
fn work(s: &Shared, url: &str) {
    let agent = agent(Duration::from_secs(10));
    let mut pause = Duration::from_millis(100);
    loop {
        let (body, lines) = {
            let Ok(mut queue) = s.queue.lock() else {
                return;
            };
            while queue.is_empty() {
                if s.stop.load(Ordering::Acquire) {
                    return;
                }
                queue = match s.wake.wait_timeout(queue, Duration::from_millis(100)) {
                    Ok((queue, _)) => queue,
                    Err(_) => return,
                };
            }
            let mut body = String::new();
            let mut lines = 0;
            while let Some(chunk) = queue.front() {
                if lines > 0 && lines + chunk.lines > POST_LINES as u64 {
                    break;
                }
                let Some(chunk) = queue.pop_front() else {
                    break;
                };
                body.push_str(&chunk.text);
                lines += chunk.lines;
            }
            (body, lines)
        };
        loop {
            let sent = agent
                .post(url)
                .content_type("text/plain; charset=utf-8")
                .send(body.as_str());
            if sent.is_ok() {
                s.forwarded.fetch_add(lines, Ordering::Relaxed);
                s.backlog.fetch_sub(lines, Ordering::Relaxed);
                pause = Duration::from_millis(100);
                break;
            }
            s.failed.fetch_add(1, Ordering::Relaxed);
            if s.stop.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}

#[cfg(test)]
mod dashboard_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_backlog_drops_and_counts_and_keeps_what_it_holds() {
        // Nothing listens on this port: every post fails and is retried.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let f = Forwarder::start(&format!("http://127.0.0.1:{port}/write"), 10);
        assert!(f.push("a x=1 1\nb x=2 2\nc x=3 3\nd x=4 4\ne x=5 5\nf x=6 6\n".into()));
        assert!(!f.push("g x=1 1\nh x=1 1\ni x=1 1\nj x=1 1\nk x=1 1\n".into()));
        assert!(f.push("l x=1 1\n".into()), "room for one more line");
        let s = f.finish(Duration::from_millis(300));
        assert_eq!(s.dropped_lines, 5);
        assert_eq!(s.backlog_lines, 7, "still waiting, counted");
        assert_eq!(s.backlog_peak_lines, 7);
        assert_eq!(s.forwarded_lines, 0);
        assert!(s.failed_posts >= 1);
    }

    #[test]
    fn lines_reach_the_engine_in_order_in_requests_of_at_most_post_lines() {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}/write", server.server_addr());
        let f = Forwarder::start(&url, 100_000);
        let total = POST_LINES + 10;
        for i in 0..total {
            f.push(format!("m x={i} {i}\n"));
        }
        let mut received = Vec::new();
        let mut requests = 0;
        while received.len() < total {
            let mut request = server
                .recv_timeout(Duration::from_secs(10))
                .unwrap()
                .unwrap();
            let mut body = String::new();
            request.as_reader().read_to_string(&mut body).unwrap();
            let lines: Vec<String> = body.lines().map(str::to_owned).collect();
            assert!(lines.len() <= POST_LINES);
            received.extend(lines);
            requests += 1;
            request.respond(tiny_http::Response::empty(204)).unwrap();
        }
        let s = f.finish(Duration::from_secs(5));
        assert!(requests >= 2);
        let expected: Vec<String> = (0..total).map(|i| format!("m x={i} {i}")).collect();
        assert_eq!(received, expected);
        assert_eq!(s.forwarded_lines, total as u64);
        assert_eq!(
            (s.backlog_lines, s.dropped_lines, s.failed_posts),
            (0, 0, 0)
        );
    }
}
