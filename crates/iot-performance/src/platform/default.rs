//! Which backend [`crate::PerformanceMonitor::new`] uses when none is given.
//!
//! With `std` it is [`super::host::HostMetrics`]. On firmware without a platform feature
//! there is no default: construct the monitor with
//! [`crate::PerformanceMonitor::with_provider`].

use core::future::Future;

use crate::{
    MemoryMetrics, MemoryProvider, Result, SystemInfoProvider, SystemMetrics, TimingProvider,
};

/// The backend used by constructors that take no provider.
#[cfg(host_std)]
pub type DefaultPlatform = super::host::HostMetrics;

/// The backend used by constructors that take no provider: the Cortex-M backend.
#[cfg(all(not(host_std), feature = "cortex-m"))]
pub type DefaultPlatform = super::cortex_m::CortexMMetrics;

/// The backend used by constructors that take no provider: the RISC-V backend.
#[cfg(all(not(host_std), feature = "riscv"))]
pub type DefaultPlatform = super::riscv::RiscVMetrics;

/// The backend used by constructors that take no provider: the ESP32-C3 backend.
#[cfg(all(not(host_std), feature = "esp32c3"))]
pub type DefaultPlatform = super::esp32c3::Esp32C3Metrics;

/// The backend used by constructors that take no provider: none on this build.
#[cfg(not(any(host_std, feature = "cortex-m", feature = "riscv", feature = "esp32c3")))]
pub type DefaultPlatform = NoDefaultPlatform;

/// The backend of [`crate::MemoryAnalyzer::new`]: the process's memory and clock under
/// `std` (without the process statistics a full [`DefaultPlatform`] opens).
#[cfg(host_std)]
pub type DefaultMemoryPlatform = super::host::HostMemory;

/// The backend of [`crate::MemoryAnalyzer::new`]: this platform's backend with its default
/// config, opened when first used.
#[cfg(all(
    not(host_std),
    any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
))]
pub type DefaultMemoryPlatform = super::OnFirstUse<DefaultPlatform>;

/// The backend of [`crate::MemoryAnalyzer::new`]: none on this build.
#[cfg(not(any(host_std, feature = "cortex-m", feature = "riscv", feature = "esp32c3")))]
pub type DefaultMemoryPlatform = NoDefaultPlatform;

/// Stands for "no default platform" in type defaults; it has no values, so a monitor of
/// this type can never be built.
#[derive(Debug, Clone, Copy)]
pub enum NoDefaultPlatform {}

impl TimingProvider for NoDefaultPlatform {
    fn now_ticks(&self) -> u64 {
        match *self {}
    }
    fn ticks_per_second(&self) -> u64 {
        match *self {}
    }
    fn delay_ms(&self, _ms: u32) -> impl Future<Output = ()> {
        let this = *self;
        async move { match this {} }
    }
}

impl MemoryProvider for NoDefaultPlatform {
    fn memory_metrics(&self) -> Result<MemoryMetrics> {
        match *self {}
    }
}

impl SystemInfoProvider for NoDefaultPlatform {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        match *self {}
    }
}
