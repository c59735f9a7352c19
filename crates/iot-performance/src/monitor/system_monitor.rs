//! [`SystemMonitor`]: CPU, tasks, interrupts and temperature, with rates between readings.

use crate::{Result, SystemInfoProvider, SystemMetrics, TimingProvider};

/// One reading of a [`SystemMonitor`]: the metrics and the rates since the previous reading.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SystemSample {
    /// The raw figures.
    pub metrics: SystemMetrics,
    /// Interrupt entries per second since the previous reading (`None` on the first).
    pub interrupts_per_second: Option<f32>,
    /// Context switches per second since the previous reading (`None` on the first).
    pub context_switches_per_second: Option<f32>,
}

/// Watches the system figures of a provider and turns counters into rates.
///
/// ```
/// use iot_performance::SystemMonitor;
/// use iot_performance::mock::MockMetrics;
///
/// let mock = MockMetrics::new_with_defaults();
/// let mut system = SystemMonitor::new(&mock);
/// system.sample()?;
/// mock.set_interrupt_count(500);
/// mock.advance_ms(250);
/// assert_eq!(system.sample()?.interrupts_per_second, Some(2_000.0));
/// # Ok::<(), iot_performance::Error>(())
/// ```
///
/// Like [`crate::PerformanceMonitor`], the type names this platform's default backend
/// when no parameter is given (`SystemMonitor` = `SystemMonitor<DefaultPlatform>`).
#[derive(Debug)]
pub struct SystemMonitor<P = crate::DefaultPlatform> {
    provider: P,
    previous: Option<(u64, SystemMetrics)>,
}

impl<P: SystemInfoProvider + TimingProvider> SystemMonitor<P> {
    /// A monitor of `provider`'s system figures.
    pub fn new(provider: P) -> Self {
        Self {
            provider,
            previous: None,
        }
    }

    /// Reads the figures and the rates since the previous call.
    ///
    /// # Errors
    /// The provider's error; the previous reading is kept for the next rate.
    pub fn sample(&mut self) -> Result<SystemSample> {
        let metrics = self.provider.system_metrics()?;
        let now = self.provider.now_us();
        let rate = |prev: u64, cur: u64, prev_us: u64| {
            let dt = now.saturating_sub(prev_us);
            // f32 arithmetic: no f64 division (soft-float) on firmware.
            (dt > 0).then(|| cur.saturating_sub(prev) as f32 * 1e6 / dt as f32)
        };
        let (interrupts_per_second, context_switches_per_second) = match &self.previous {
            Some((t, p)) => (
                rate(p.interrupt_count, metrics.interrupt_count, *t),
                rate(p.context_switches, metrics.context_switches, *t),
            ),
            None => (None, None),
        };
        self.previous = Some((now, metrics.clone()));
        Ok(SystemSample {
            metrics,
            interrupts_per_second,
            context_switches_per_second,
        })
    }
}
