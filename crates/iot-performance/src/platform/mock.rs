//! A backend whose every figure is set by the test, with a clock that advances instantly.
//!
//! ```
//! use iot_performance::mock::{MockConfig, MockMetrics};
//! use iot_performance::{MemoryProvider, SystemInfoProvider, TimingProvider};
//!
//! let config = MockConfig::with_deterministic_values();
//! let metrics_provider = MockMetrics::new(config);
//! metrics_provider.set_memory_usage(1024, 512);
//! metrics_provider.set_cpu_utilization(45.0);
//!
//! let memory = metrics_provider.memory_metrics()?;
//! assert_eq!((memory.heap_used, memory.heap_free, memory.heap_total), (1024, 512, 1536));
//! assert_eq!(metrics_provider.system_metrics()?.cpu_utilization, 45.0);
//!
//! // Waiting costs no real time: the mock clock jumps forward.
//! let before = metrics_provider.now_us();
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! metrics_provider.delay_ms(60_000).await;
//! # });
//! assert_eq!(metrics_provider.now_us() - before, 60_000_000);
//! # Ok::<(), iot_performance::Error>(())
//! ```

use core::cell::RefCell;
use core::future::Future;

use critical_section::Mutex;

use crate::ticks_to_us;
use crate::{
    Error, MemoryMetrics, MemoryProvider, Result, SystemInfoProvider, SystemMetrics, TimingProvider,
};

/// Initial values of a [`MockMetrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// Frequency of the mock clock (ticks per second).
    pub ticks_per_second: u64,
    /// Clock value at creation, in ticks.
    pub start_ticks: u64,
    /// Memory figures returned until changed.
    pub memory: MemoryMetrics,
    /// System figures returned until changed; `uptime_ms` is derived from the clock instead.
    pub system: SystemMetrics,
}

impl MockConfig {
    /// Fixed, plausible figures for a small device (64 KiB heap, 8 KiB stack), a 1 MHz clock
    /// starting at 1 s of uptime. Every value is documented so that tests can assert on them:
    ///
    /// | metric | value |
    /// |---|---|
    /// | heap used / free / total | 16 384 / 49 152 / 65 536 B |
    /// | stack used / free | 2 048 / 6 144 B |
    /// | static memory | 12 288 B |
    /// | fragmentation | 0.125 |
    /// | CPU | 25.0 % |
    /// | uptime | clock time: 1 000 ms at creation |
    /// | tasks, interrupts, context switches | 4, 0, 0 |
    /// | temperature | 42.5 °C |
    pub const fn with_deterministic_values() -> Self {
        Self {
            ticks_per_second: 1_000_000,
            start_ticks: 1_000_000,
            memory: MemoryMetrics {
                heap_used: 16_384,
                heap_free: 49_152,
                heap_total: 65_536,
                stack_used: 2_048,
                stack_free: 6_144,
                static_memory: 12_288,
                fragmentation_ratio: 0.125,
            },
            system: SystemMetrics {
                cpu_utilization: 25.0,
                uptime_ms: 1_000,
                task_count: 4,
                interrupt_count: 0,
                context_switches: 0,
                temperature: Some(42.5),
            },
        }
    }
}

impl Default for MockConfig {
    /// Same as [`MockConfig::with_deterministic_values`].
    fn default() -> Self {
        Self::with_deterministic_values()
    }
}

#[derive(Debug)]
struct MockState {
    now_ticks: u64,
    memory: MemoryMetrics,
    system: SystemMetrics,
    memory_error: Option<Error>,
    system_error: Option<Error>,
    wifi: Option<crate::WifiStats>,
    /// Advances also move the profiler's clock (see `drive_profiler_clock`).
    drives_profiler: bool,
    noise: Option<Noise>,
}

/// Seeded multiplicative noise on heap, stack and CPU readings (SplitMix64 generator).
#[derive(Debug, Clone, Copy)]
struct Noise {
    state: u64,
    percent: f64,
}

impl Noise {
    /// A factor uniformly distributed in `1 ± percent / 100`.
    fn factor(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
        1.0 + (unit * 2.0 - 1.0) * self.percent / 100.0
    }
}

/// The mock backend. Every setter takes `&self`, so a test can change figures while a
/// monitor holds the provider; share it by reference (`&MockMetrics` is a provider too).
#[derive(Debug)]
pub struct MockMetrics {
    ticks_per_second: u64,
    state: Mutex<RefCell<MockState>>,
}

impl MockMetrics {
    /// A mock starting from `config`. `const`, so a mock can live in a `static`.
    pub const fn new(config: MockConfig) -> Self {
        Self {
            ticks_per_second: if config.ticks_per_second == 0 {
                1
            } else {
                config.ticks_per_second
            },
            state: Mutex::new(RefCell::new(MockState {
                now_ticks: config.start_ticks,
                memory: config.memory,
                system: config.system,
                memory_error: None,
                system_error: None,
                wifi: None,
                noise: None,
                drives_profiler: false,
            })),
        }
    }

    /// A mock with [`MockConfig::with_deterministic_values`].
    pub fn new_with_defaults() -> Self {
        Self::new(MockConfig::default())
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut MockState) -> R) -> R {
        critical_section::with(|cs| f(&mut self.state.borrow_ref_mut(cs)))
    }

    /// Heap in use and free, in bytes; the heap's total becomes their sum.
    pub fn set_memory_usage(&self, used: usize, free: usize) {
        self.with_state(|s| {
            s.memory.heap_used = used;
            s.memory.heap_free = free;
            s.memory.heap_total = used.saturating_add(free);
        });
    }

    /// Stack in use and free, in bytes.
    pub fn set_stack_usage(&self, used: usize, free: usize) {
        self.with_state(|s| {
            s.memory.stack_used = used;
            s.memory.stack_free = free;
        });
    }

    /// Static memory (`.data` + `.bss`), in bytes.
    pub fn set_static_memory(&self, bytes: usize) {
        self.with_state(|s| s.memory.static_memory = bytes);
    }

    /// Fragmentation ratio (`NaN` to play an allocator that cannot report it).
    pub fn set_fragmentation_ratio(&self, ratio: f32) {
        self.with_state(|s| s.memory.fragmentation_ratio = ratio);
    }

    /// CPU utilization in percent.
    pub fn set_cpu_utilization(&self, percent: f32) {
        self.with_state(|s| s.system.cpu_utilization = percent);
    }

    /// Number of tasks.
    pub fn set_task_count(&self, tasks: usize) {
        self.with_state(|s| s.system.task_count = tasks);
    }

    /// Total interrupt entries.
    pub fn set_interrupt_count(&self, count: u64) {
        self.with_state(|s| s.system.interrupt_count = count);
    }

    /// Total context switches.
    pub fn set_context_switches(&self, count: u64) {
        self.with_state(|s| s.system.context_switches = count);
    }

    /// Temperature in °C, or `None` for a chip without a sensor.
    pub fn set_temperature(&self, celsius: Option<f32>) {
        self.with_state(|s| s.system.temperature = celsius);
    }

    /// Makes memory readings fail with `error` (or succeed again with `None`).
    pub fn set_memory_error(&self, error: Option<Error>) {
        self.with_state(|s| s.memory_error = error);
    }

    /// Makes system readings fail with `error` (or succeed again with `None`).
    pub fn set_system_error(&self, error: Option<Error>) {
        self.with_state(|s| s.system_error = error);
    }

    /// Wi-Fi traffic totals the mock reports ([`SystemInfoProvider::wifi_traffic`]);
    /// `None` (the default) for a device without Wi-Fi tracking.
    pub fn set_wifi_stats(&self, stats: Option<crate::WifiStats>) {
        self.with_state(|s| s.wifi = stats);
    }

    /// Adds seeded, uniformly distributed noise of ±`percent` % to every heap-used, stack-used
    /// and CPU reading (each reading draws anew; the set values stay the centre). The same
    /// seed gives the same readings. `percent` 0 turns the noise off.
    pub fn set_noise(&self, seed: u64, percent: f32) {
        self.with_state(|s| {
            s.noise = (percent > 0.0).then_some(Noise {
                state: seed,
                percent: f64::from(percent),
            });
        });
    }

    /// Moves the clock forward by `ticks`.
    pub fn advance_ticks(&self, ticks: u64) {
        let drives = self.with_state(|s| {
            s.now_ticks = s.now_ticks.saturating_add(ticks);
            s.drives_profiler
        });
        if drives {
            crate::timing::ManualClock::set(self.now_ticks());
        }
    }

    /// Makes this mock's clock the timing profiler's clock: scopes opened by
    /// `profile_block!` and `#[profile_function]` then measure mock time, which moves only
    /// when the test (or a monitor's delay) advances it. Only one mock can drive the
    /// profiler at a time; the last one asked wins.
    ///
    /// ```
    /// use iot_performance::mock::MockMetrics;
    /// use iot_performance::{profile_block, timing};
    ///
    /// let mock = MockMetrics::new_with_defaults();
    /// mock.drive_profiler_clock();
    /// {
    ///     let _timer = profile_block!("doc_mock_driven");
    ///     mock.advance_ms(3);
    /// }
    /// assert_eq!(timing::scope("doc_mock_driven").unwrap().total_ticks, 3_000);
    /// # timing::reset_clock();
    /// ```
    pub fn drive_profiler_clock(&self) {
        self.with_state(|s| s.drives_profiler = true);
        crate::timing::ManualClock::set(self.now_ticks());
        crate::timing::ManualClock::install(self.ticks_per_second);
    }

    /// Moves the clock forward by `us` microseconds.
    pub fn advance_us(&self, us: u64) {
        let ticks = u128::from(us) * u128::from(self.ticks_per_second) / 1_000_000;
        self.advance_ticks(u64::try_from(ticks).unwrap_or(u64::MAX));
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance_ms(&self, ms: u64) {
        self.advance_us(ms.saturating_mul(1_000));
    }
}

impl TimingProvider for MockMetrics {
    fn now_ticks(&self) -> u64 {
        self.with_state(|s| s.now_ticks)
    }

    fn ticks_per_second(&self) -> u64 {
        self.ticks_per_second
    }

    /// Advances the clock by `ms` at once, then yields to the executor once so that a
    /// sampling loop on the mock still lets other tasks run.
    async fn delay_ms(&self, ms: u32) {
        self.advance_ms(u64::from(ms));
        YieldOnce(false).await;
    }
}

impl MemoryProvider for MockMetrics {
    fn memory_metrics(&self) -> Result<MemoryMetrics> {
        self.with_state(|s| match s.memory_error {
            Some(e) => Err(e),
            None => {
                let mut m = s.memory.clone();
                if let Some(noise) = &mut s.noise {
                    m.heap_used = (m.heap_used as f64 * noise.factor()) as usize;
                    m.stack_used = (m.stack_used as f64 * noise.factor()) as usize;
                }
                Ok(m)
            }
        })
    }
}

impl SystemInfoProvider for MockMetrics {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        let hz = self.ticks_per_second;
        self.with_state(|s| match s.system_error {
            Some(e) => Err(e),
            None => {
                let mut cpu = s.system.cpu_utilization;
                if let Some(noise) = &mut s.noise {
                    cpu = (f64::from(cpu) * noise.factor()) as f32;
                }
                Ok(SystemMetrics {
                    uptime_ms: ticks_to_us(s.now_ticks, hz) / 1_000,
                    cpu_utilization: cpu,
                    ..s.system.clone()
                })
            }
        })
    }

    fn wifi_traffic(&self) -> Option<crate::WifiStats> {
        self.with_state(|s| s.wifi)
    }
}

/// Pending on the first poll (waking itself at once), ready on the second.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        if self.0 {
            return core::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        core::task::Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn setters_change_readings() {
        let m = MockMetrics::new_with_defaults();
        m.set_stack_usage(100, 900);
        m.set_static_memory(4096);
        m.set_fragmentation_ratio(0.5);
        m.set_task_count(7);
        m.set_interrupt_count(99);
        m.set_context_switches(1234);
        m.set_temperature(None);
        let mem = m.memory_metrics().unwrap();
        assert_eq!(
            (mem.stack_used, mem.stack_free, mem.static_memory),
            (100, 900, 4096)
        );
        assert_eq!(mem.fragmentation_ratio, 0.5);
        let sys = m.system_metrics().unwrap();
        assert_eq!(
            (sys.task_count, sys.interrupt_count, sys.context_switches),
            (7, 99, 1234)
        );
        assert_eq!(sys.temperature, None);
    }

    #[test]
    fn uptime_follows_the_clock() {
        let m = MockMetrics::new_with_defaults();
        assert_eq!(m.system_metrics().unwrap().uptime_ms, 1_000);
        m.advance_ms(2_500);
        assert_eq!(m.system_metrics().unwrap().uptime_ms, 3_500);
        assert_eq!(m.now_us(), 3_500_000);
    }

    #[test]
    fn noise_is_seeded_bounded_and_centred() {
        let read = |seed| {
            let m = MockMetrics::new_with_defaults();
            m.set_memory_usage(10_000, 0);
            m.set_noise(seed, 5.0);
            (0..2000)
                .map(|_| m.memory_metrics().unwrap().heap_used as f64)
                .collect::<std::vec::Vec<_>>()
        };
        let (a, b) = (read(1), read(1));
        assert_eq!(a, b);
        assert_ne!(a, read(2));
        assert!(a.iter().all(|v| (9_500.0..=10_500.0).contains(v)));
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        assert!((mean - 10_000.0).abs() < 30.0, "{mean}");
        assert!(a.iter().any(|v| *v < 9_600.0) && a.iter().any(|v| *v > 10_400.0));
    }

    #[test]
    fn injected_errors_are_returned_then_cleared() {
        let m = MockMetrics::new_with_defaults();
        let e = Error::Provider { what: "sensor bus" };
        m.set_memory_error(Some(e));
        assert_eq!(m.memory_metrics(), Err(e));
        m.set_memory_error(None);
        assert!(m.memory_metrics().is_ok());
        m.set_system_error(Some(e));
        assert_eq!(m.system_metrics(), Err(e));
    }
}
