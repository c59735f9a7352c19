//! A monitor a component is either given or opens on first use from this platform's
//! default backend (under `std`): how [`crate::baseline::BaselineManager`] and
//! [`crate::regression::RegressionDetector`] hold theirs.

use super::{HandleBound, PerformanceMonitor};
use crate::{Error, PlatformMetrics, Result};

/// A given monitor, or the means to open one when first needed.
pub(crate) struct LazyMonitor<P: PlatformMetrics + HandleBound> {
    monitor: Option<PerformanceMonitor<P>>,
    #[cfg(host_std)]
    open_default: Option<fn() -> Result<P>>,
}

impl<P: PlatformMetrics + HandleBound> LazyMonitor<P> {
    /// Holds `monitor`.
    pub(crate) fn given(monitor: PerformanceMonitor<P>) -> Self {
        Self {
            monitor: Some(monitor),
            #[cfg(host_std)]
            open_default: None,
        }
    }

    /// Opens a monitor of the provider `open` returns on the first [`LazyMonitor::get`].
    #[cfg(host_std)]
    pub(crate) fn opened_on_first_use(open: fn() -> Result<P>) -> Self {
        Self {
            monitor: None,
            open_default: Some(open),
        }
    }

    /// The monitor, opened now if it is due; `owner` names the holder in the
    /// [`Error::NotFound`] returned should there be none.
    ///
    /// # Errors
    /// The backend's or the monitor's error when opening fails.
    pub(crate) async fn get(&mut self, owner: &'static str) -> Result<&PerformanceMonitor<P>> {
        #[cfg(host_std)]
        if self.monitor.is_none()
            && let Some(open) = self.open_default
        {
            self.monitor = Some(PerformanceMonitor::with_provider(open()?).await?);
        }
        self.monitor.as_ref().ok_or(Error::NotFound { what: owner })
    }
}
