//! Where the history of a host analyzer made by [`super::PerformanceAnalyzer::new`] comes
//! from: a monitor of the host process, opened and started by
//! `enable_historical_tracking`, whose background sampler (the monitor's own, one sample
//! per `sampling_interval_ms`, 1 s by default) keeps samples until `analyze_trends` reads
//! them. Feeding the analyzer yourself (`sample`, `record`, `record_point`) detaches that
//! monitor, so the history never mixes two sources.

use std::sync::{Mutex, PoisonError};

use crate::monitor::{SampleCursor, open_default_monitor};
use crate::{DefaultPlatform, PerformanceMonitor, PerformanceSnapshot, Result};

#[derive(Debug)]
enum State {
    /// The analyzer has no host source (made by `with_history_capacity`).
    Off,
    /// Made by `new`: the host monitor starts with historical tracking.
    Armed,
    /// Sampling in the background; `cursor` is where `drain` reads on.
    Running(PerformanceMonitor<DefaultPlatform>, SampleCursor),
    /// The application feeds the history itself.
    Detached,
}

/// The host source of an analyzer's history.
#[derive(Debug)]
pub(super) struct HostSource(Mutex<State>);

impl HostSource {
    pub(super) const fn off() -> Self {
        Self(Mutex::new(State::Off))
    }

    pub(super) const fn armed() -> Self {
        Self(Mutex::new(State::Armed))
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Opens and starts the host monitor if armed (once).
    pub(super) async fn start(&self) -> Result<()> {
        if !self.with(|s| matches!(s, State::Armed)) {
            return Ok(());
        }
        let monitor = open_default_monitor()?;
        let cursor = monitor.sample_cursor();
        monitor.start_monitoring().await?;
        self.with(|s| {
            if matches!(s, State::Armed) {
                *s = State::Running(monitor, cursor);
            }
        });
        Ok(())
    }

    /// The application feeds the history: the host monitor (if any) stops for good.
    pub(super) fn detach(&self) {
        self.with(|s| {
            if !matches!(s, State::Off) {
                // Dropping the last handle ends the sampler thread.
                *s = State::Detached;
            }
        });
    }

    /// Passes every sample taken since the previous call, plus one taken now, to `f`.
    pub(super) fn drain(&self, mut f: impl FnMut(&PerformanceSnapshot)) {
        self.with(|s| {
            if let State::Running(monitor, cursor) = s {
                // A failed reading is counted by the monitor; the others still count.
                let _ = monitor.record_now();
                for snapshot in &monitor.samples_since(cursor).samples {
                    f(snapshot);
                }
            }
        });
    }
}
