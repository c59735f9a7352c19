//! Performance regression tests in `cargo test`: [`BaselineFile`] measures a critical
//! path, compares it with a baseline committed next to the tests, and fails with a
//! readable table (metric, baseline, current, change, threshold) when a metric got worse
//! than its threshold allows.
//!
//! - The file holds baselines as the CRC-checked frames of [`crate::baseline::codec`]
//!   (one per name; several names may share a file). A damaged file is an error, never a
//!   silent pass.
//! - `IOT_PERF_UPDATE_BASELINES=1 cargo test` records the measurement into the file
//!   instead of judging it (commit the file afterwards).
//! - A missing file (or a file without that name) fails and says that command.
//!
//! ```
//! use iot_performance::mock::MockMetrics;
//! use iot_performance::testing::{BaselineFile, Outcome};
//! use iot_performance::{MonitorConfig, PerformanceMonitor};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let dir = std::env::temp_dir().join(format!("iot-perf-doc-{}", std::process::id()));
//! let file = BaselineFile::new(dir.join("critical_path.baseline"), "critical_path");
//! let mock = MockMetrics::new_with_defaults();
//! let monitor = PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing())
//!     .await
//!     .unwrap();
//! let critical_path = |ms| {
//!     let mock = &mock;
//!     move || async move { mock.advance_ms(ms) } // the code under test, on the mock clock
//! };
//! // No file yet: the error says how to record one.
//! let missing = file.check(&monitor, critical_path(4)).await.unwrap_err();
//! assert!(missing.to_string().contains("IOT_PERF_UPDATE_BASELINES=1"));
//! // What `IOT_PERF_UPDATE_BASELINES=1 cargo test` does:
//! assert!(matches!(file.record(&monitor, critical_path(4)).await, Ok(Outcome::Recorded { .. })));
//! // Same speed: passes. Twice as slow: fails with the table.
//! assert!(matches!(file.check(&monitor, critical_path(4)).await, Ok(Outcome::Passed(_))));
//! let slower = file.check(&monitor, critical_path(8)).await.unwrap_err();
//! println!("{slower}");
//! assert!(slower.to_string().contains("critical_path"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # });
//! ```

mod error;
mod file;

pub use error::RegressionError;
pub use file::{BaselineFile, Outcome, UPDATE_ENV};
