//! Turning samples into judgements: metric names and units, trends over time, and A/B
//! comparison of a baseline and a run, all ending in one [`Verdict`].
//!
//! | question | answer | where |
//! |---|---|---|
//! | did B get worse than A? (running statistics, no heap) | Welch's t-test | [`PerformanceComparator`] |
//! | did the run get worse than the baseline? (kept samples, the CI gate) | seeded bootstrap | [`BootstrapComparator`] (`alloc`) |
//! | where is a metric heading? | least-squares trend | [`PerformanceAnalyzer`], [`fit_trend`] |
//!
//! ```
//! use iot_performance::analysis::{PerformanceAnalyzer, TrendDirection};
//! use iot_performance::mock::MockMetrics;
//! use iot_performance::PerformanceMonitor;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mock = MockMetrics::new_with_defaults();
//! let monitor = PerformanceMonitor::with_provider(&mock).await?;
//! let analyzer = PerformanceAnalyzer::new();
//! analyzer.enable_historical_tracking().await?;
//! for minute in 0..60 {
//!     // A leak of 20 bytes a minute: 1.2 KiB an hour.
//!     mock.set_memory_usage(16_384 + minute * 20, 40_000);
//!     analyzer.sample(&monitor).await?;
//!     mock.advance_ms(60_000);
//! }
//! let trends = analyzer.analyze_trends().await?;
//! assert_eq!(trends.memory_trend.direction(), TrendDirection::Rising);
//! assert_eq!(trends.memory_trend.to_string(), "rising 1.2 KiB/h ± 0.0");
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "alloc")]
mod bootstrap;
mod compare;
#[cfg(feature = "alloc")]
pub mod fleet;
pub mod least_squares;
mod metric;
mod scope_sampler;
pub mod student_t;
mod trend;
#[cfg(host_std)]
mod trend_source;
mod verdict;

#[cfg(feature = "alloc")]
pub use bootstrap::BootstrapComparator;
pub use compare::{ComparisonReport, MetricComparison, PerformanceComparator};
pub(crate) use compare::{percent_change, welch};
pub use metric::{Metric, MetricKind, Quantity, Unit};
pub use scope_sampler::ScopeSampler;
pub use trend::{
    MIN_POINTS, PerformanceAnalyzer, Trend, TrendAnalysis, TrendDirection, TrendPoint, fit_trend,
};
pub use verdict::Verdict;
