//! [`BaselineFile`]: one named baseline in a committed file, measured and judged.

use core::future::Future;
use std::path::{Path, PathBuf};
use std::vec::Vec;

use super::RegressionError;
use crate::baseline::{BaselineComparison, PerformanceBaseline, codec, name};
use crate::monitor::HandleBound;
use crate::regression::{DetectorOptions, RegressionConfig};
use crate::{MetricsCollector, PerformanceMonitor, PlatformMetrics, RunningStats};

/// The environment variable that makes [`BaselineFile::check`] record instead of judge
/// (any value but empty or `0`).
pub const UPDATE_ENV: &str = "IOT_PERF_UPDATE_BASELINES";

/// What a check did.
#[derive(Debug)]
pub enum Outcome {
    /// No metric regressed beyond its threshold (every compared metric is inside).
    Passed(std::boxed::Box<BaselineComparison>),
    /// The measurement was written to the file (update mode or [`BaselineFile::record`]).
    Recorded {
        /// The baseline file.
        path: PathBuf,
        /// Runs measured.
        runs: u32,
    },
}

/// A named baseline kept in a file, and how to measure against it.
///
/// One measurement runs the critical path [`BaselineFile::runs`] times (20 by default).
/// Each run is timed on the monitor's provider clock (the baseline's scope named like
/// the baseline, judged by the timing threshold) and followed by a snapshot (heap, stack,
/// CPU: judged by the memory and CPU thresholds). Thresholds and floors are those of
/// [`RegressionConfig::DEFAULT`] and [`DetectorOptions::DEFAULT`] unless set.
#[derive(Debug, Clone)]
pub struct BaselineFile {
    path: PathBuf,
    name: &'static str,
    runs: u32,
    config: RegressionConfig,
    options: DetectorOptions,
}

impl BaselineFile {
    /// Baseline `name` (at most 24 bytes) in the file at `path` (relative paths are
    /// relative to the test's working directory: the crate's root under `cargo test`).
    pub fn new(path: impl Into<PathBuf>, name: &'static str) -> Self {
        Self {
            path: path.into(),
            name,
            runs: 20,
            config: RegressionConfig::DEFAULT,
            options: DetectorOptions::DEFAULT,
        }
    }

    /// Runs of the critical path per measurement (at least 2, so that noise is judged).
    #[must_use]
    pub fn runs(mut self, runs: u32) -> Self {
        self.runs = runs.max(2);
        self
    }

    /// Thresholds (percent per metric kind) and absolute floors of the judgement.
    #[must_use]
    pub fn thresholds(mut self, config: RegressionConfig, options: DetectorOptions) -> Self {
        (self.config, self.options) = (config, options);
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Measures `critical_path` and judges it against the file's baseline, or records it
    /// when [`UPDATE_ENV`] is set.
    ///
    /// # Errors
    /// [`RegressionError::Regressed`] with the table of metrics;
    /// [`RegressionError::Missing`] naming the command that records the baseline; a
    /// damaged file, I/O or measuring failure.
    pub async fn check<P, F, Fut>(
        &self,
        monitor: &PerformanceMonitor<P>,
        critical_path: F,
    ) -> Result<Outcome, RegressionError>
    where
        P: PlatformMetrics + HandleBound,
        F: FnMut() -> Fut,
        Fut: Future,
    {
        if update_requested(std::env::var(UPDATE_ENV).ok().as_deref()) {
            return self.record(monitor, critical_path).await;
        }
        let stored = self.read()?;
        let baseline = stored
            .into_iter()
            .find(|b| b.name.as_str() == self.name)
            .ok_or_else(|| self.missing())?;
        let (current, durations) = self.measure(monitor, critical_path).await?;
        let comparison = BaselineComparison::new(
            &baseline,
            &current.stats,
            [(self.name, durations)],
            &self.config,
            &self.options,
        );
        if comparison.is_regression_detected() {
            return Err(RegressionError::Regressed {
                path: self.path.clone(),
                comparison: std::boxed::Box::new(comparison),
            });
        }
        Ok(Outcome::Passed(std::boxed::Box::new(comparison)))
    }

    /// Measures `critical_path` and writes it as the file's baseline of this name,
    /// keeping the file's other baselines (a damaged file is an error, not overwritten).
    ///
    /// # Errors
    /// I/O, a damaged file, or a measuring failure.
    pub async fn record<P, F, Fut>(
        &self,
        monitor: &PerformanceMonitor<P>,
        critical_path: F,
    ) -> Result<Outcome, RegressionError>
    where
        P: PlatformMetrics + HandleBound,
        F: FnMut() -> Fut,
        Fut: Future,
    {
        let mut stored = match self.read() {
            Err(RegressionError::Missing { .. }) => Vec::new(),
            other => other?,
        };
        let (current, durations) = self.measure(monitor, critical_path).await?;
        let mut baseline = PerformanceBaseline {
            name: name(self.name).map_err(|e| self.library(e))?,
            recorded_at_us: current.started_us,
            duration_ms: current.duration_ms(),
            sample_count: current.sample_count,
            stats: current.stats,
            scopes: heapless::Vec::new(),
            scopes_dropped: 0,
        };
        baseline
            .set_scope(self.name, durations)
            .map_err(|e| self.library(e))?;
        stored.retain(|b| b.name.as_str() != self.name);
        stored.push(baseline);
        let mut bytes = std::vec![0u8; stored.len() * codec::MAX_FRAME_LEN];
        let mut at = 0;
        for b in &stored {
            at += codec::encode(b, &mut bytes[at..]).map_err(|e| self.library(e))?;
        }
        bytes.truncate(at);
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        std::fs::write(&self.path, bytes).map_err(|e| self.io(e))?;
        Ok(Outcome::Recorded {
            path: self.path.clone(),
            runs: self.runs,
        })
    }

    /// Every baseline of the file, validated frame by frame.
    fn read(&self) -> Result<Vec<PerformanceBaseline>, RegressionError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(self.missing()),
            Err(e) => return Err(self.io(e)),
        };
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let (b, used) = codec::decode(&bytes[at..]).map_err(|e| self.library(e))?;
            out.push(b);
            at += used;
        }
        Ok(out)
    }

    /// Runs the critical path `runs` times: per-run duration (µs), a snapshot after each.
    async fn measure<P, F, Fut>(
        &self,
        monitor: &PerformanceMonitor<P>,
        mut critical_path: F,
    ) -> Result<(crate::MetricsCollection, RunningStats), RegressionError>
    where
        P: PlatformMetrics + HandleBound,
        F: FnMut() -> Fut,
        Fut: Future,
    {
        let mut collector = MetricsCollector::with_memory_tracking(true);
        let mut durations = RunningStats::new();
        for _ in 0..self.runs {
            let start = monitor.provider().now_us();
            critical_path().await;
            let end = monitor.provider().now_us();
            durations.push(end.saturating_sub(start) as f64);
            let snapshot = monitor.snapshot().await.map_err(|e| self.library(e))?;
            collector.record(&snapshot);
        }
        Ok((collector.finish(), durations))
    }

    fn missing(&self) -> RegressionError {
        RegressionError::Missing {
            path: self.path.clone(),
            name: self.name,
        }
    }

    fn io(&self, error: std::io::Error) -> RegressionError {
        RegressionError::Io {
            path: self.path.clone(),
            error,
        }
    }

    fn library(&self, error: crate::Error) -> RegressionError {
        RegressionError::Library {
            path: self.path.clone(),
            error,
        }
    }
}

/// Whether a value of [`UPDATE_ENV`] asks to record: set, not empty and not `0`.
fn update_requested(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

#[cfg(test)]
mod tests {
    use super::update_requested;

    #[test]
    fn the_update_variable_is_read_as_documented() {
        assert!(update_requested(Some("1")));
        assert!(update_requested(Some("yes")));
        assert!(!update_requested(Some("0")));
        assert!(!update_requested(Some("")));
        assert!(!update_requested(None));
    }
}
