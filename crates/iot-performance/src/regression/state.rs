//! [`MonitorChecks`]: what a monitor's regression checks remember, and where it is kept.
//!
//! The monitor knows nothing of regression detection: with `alloc` this state is attached
//! to each monitor on its first check (on the heap, ≈ 1.3 KiB on a 32-bit MCU, fallibly);
//! without `alloc` a program has one set of checks, in a `static` that is linked only if
//! a check is called.

use super::{RegressionTracker, TASK_CHECK_CAPACITY, TaskCheck};
use crate::analysis::ScopeSampler;
use crate::monitor::HandleBound;
use crate::{PerformanceMonitor, PlatformMetrics, Result};

/// State of [`PerformanceMonitor::check_regression`] and
/// [`PerformanceMonitor::validate_task_performance`].
#[derive(Debug, Clone)]
pub(crate) struct MonitorChecks {
    /// The regression tracker.
    pub(crate) regression: RegressionTracker,
    /// Samples in the regression tracker's open window.
    pub(crate) regression_samples: u32,
    /// Scope totals between regression samples.
    pub(crate) scope_sampler: ScopeSampler,
    /// Per-task validation state.
    pub(crate) task_checks: heapless::Vec<TaskCheck, TASK_CHECK_CAPACITY>,
}

impl MonitorChecks {
    fn new() -> Self {
        Self {
            regression: RegressionTracker::const_default(),
            regression_samples: 0,
            scope_sampler: ScopeSampler::new(),
            task_checks: heapless::Vec::new(),
        }
    }
}

/// Runs `f` on `monitor`'s checks, created by the first call.
///
/// # Errors
/// [`crate::Error::CapacityExceeded`] when the heap cannot hold the checks (with `alloc`).
#[cfg(feature = "alloc")]
pub(crate) fn with_checks<P: PlatformMetrics + HandleBound, R>(
    monitor: &PerformanceMonitor<P>,
    f: impl FnOnce(&mut MonitorChecks) -> R,
) -> Result<R> {
    monitor.cell.with_attachment(MonitorChecks::new, f)
}

/// Runs `f` on the program's checks, created by the first call.
///
/// # Errors
/// None without `alloc`; the signature matches the heap variant.
#[cfg(not(feature = "alloc"))]
pub(crate) fn with_checks<P: PlatformMetrics + HandleBound, R>(
    _monitor: &PerformanceMonitor<P>,
    f: impl FnOnce(&mut MonitorChecks) -> R,
) -> Result<R> {
    use core::cell::RefCell;
    use critical_section::Mutex;

    static CHECKS: Mutex<RefCell<Option<MonitorChecks>>> = Mutex::new(RefCell::new(None));
    Ok(critical_section::with(|cs| {
        f(CHECKS
            .borrow_ref_mut(cs)
            .get_or_insert_with(MonitorChecks::new))
    }))
}
