//! A monitor a component is either given or opens on first use from this platform's
//! default backend: how [`crate::baseline::BaselineManager`] and
//! [`crate::regression::RegressionDetector`] hold theirs.

use super::{HandleBound, PerformanceMonitor};
use crate::{Error, PlatformMetrics, Result};

/// Opens a monitor of the platform's default backend.
pub(crate) type OpenMonitor<P> = fn() -> Result<PerformanceMonitor<P>>;

/// A given monitor, or the means to open one when first needed.
pub(crate) struct LazyMonitor<P: PlatformMetrics + HandleBound> {
    monitor: Option<PerformanceMonitor<P>>,
    open: Option<OpenMonitor<P>>,
}

impl<P: PlatformMetrics + HandleBound> LazyMonitor<P> {
    /// Holds `monitor`.
    pub(crate) fn given(monitor: PerformanceMonitor<P>) -> Self {
        Self {
            monitor: Some(monitor),
            open: None,
        }
    }

    /// Opens a monitor with `open` on the first [`LazyMonitor::get`].
    #[cfg_attr(
        not(any(host_std, feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
        allow(dead_code)
    )]
    pub(crate) fn opened_on_first_use(open: OpenMonitor<P>) -> Self {
        Self {
            monitor: None,
            open: Some(open),
        }
    }

    /// True once a monitor is held (given, or opened by a previous `get`).
    pub(crate) fn is_opened(&self) -> bool {
        self.monitor.is_some()
    }

    /// The monitor, opened now if it is due; `owner` names the holder in the
    /// [`Error::NotFound`] returned should there be none.
    ///
    /// # Errors
    /// The backend's or the monitor's error when opening fails.
    pub(crate) fn get(&mut self, owner: &'static str) -> Result<&PerformanceMonitor<P>> {
        if self.monitor.is_none()
            && let Some(open) = self.open
        {
            self.monitor = Some(open()?);
        }
        self.monitor.as_ref().ok_or(Error::NotFound { what: owner })
    }
}

/// A monitor of this platform's default backend, with [`crate::MonitorConfig::default`]:
/// on a host it samples in the background once started.
///
/// # Errors
/// The backend's error when it cannot start.
#[cfg(any(
    host_std,
    all(
        feature = "alloc",
        any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
    )
))]
pub(crate) fn open_default_monitor() -> Result<PerformanceMonitor<crate::DefaultPlatform>> {
    #[allow(unused_mut)]
    let mut cell = super::MonitorCell::new(
        super::open_default_backend()?,
        crate::MonitorConfig::default(),
    );
    #[cfg(host_std)]
    {
        cell.background = Some(super::background::launch::<crate::DefaultPlatform>);
    }
    Ok(PerformanceMonitor {
        cell: portable_atomic_util::Arc::new(cell),
    })
}
