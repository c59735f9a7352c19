//! What every firmware backend shares: the heap reader the application gives, the painted
//! main stack, the linker's static sections, CPU load from idle accounting, and waiting.
//!
//! A chip backend installs its clock into [`crate::clock`], builds a [`FirmwareCore`] from
//! its linker layout, and implements the provider traits with [`firmware_providers!`]:
//! it then holds only its registers and its config.

mod delay;
mod system;

use core::future::Future;

use system::SystemSampler;

use crate::memory::HeapIntrospection;
use crate::memory::HeapSource;
use crate::memory::stack::{self, StackRegion};
use crate::timing::idle;
use crate::{MemoryMetrics, Result, SystemMetrics, clock, ticks_to_us};

/// Heap figures from the application's allocator: `(used, free)` bytes. A reader cannot
/// tell the largest free block: give the heap itself (`with_heap(&HEAP)`) for fragmentation.
pub type HeapReader = fn() -> (usize, usize);

/// The clock read once for a sample: what its system figures (uptime, CPU window) and its
/// timestamp share, so that they are one instant converted once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClockReading {
    /// [`clock::now`].
    pub(crate) ticks: u64,
    /// [`clock::ticks_per_second`] (the ESP32-C3's cycle-counter CPU load reads it).
    #[cfg_attr(not(feature = "esp32c3"), allow(dead_code))]
    pub(crate) ticks_per_second: u64,
    /// The same instant in microseconds.
    pub(crate) us: u64,
}

impl ClockReading {
    /// Reads the clock.
    pub(crate) fn now() -> Self {
        let ticks = clock::now();
        let ticks_per_second = clock::ticks_per_second();
        Self {
            ticks,
            ticks_per_second,
            us: ticks_to_us(ticks, ticks_per_second),
        }
    }
}

/// The state a firmware backend keeps besides its registers.
#[derive(Debug)]
pub(crate) struct FirmwareCore {
    stack: StackRegion,
    static_memory: usize,
    heap: HeapSource,
    system: SystemSampler,
}

impl FirmwareCore {
    /// Paints the unused part of `stack` (the one this code runs on) and starts the first
    /// CPU-load window. The backend has installed its clock already: times and rates are
    /// the one clock's ([`crate::clock`]), whoever installed it last.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] when called on another stack than `stack`.
    pub(crate) fn start(stack: StackRegion, static_memory: usize) -> Result<Self> {
        stack::paint(&stack)?;
        Ok(Self {
            stack,
            static_memory,
            heap: HeapSource::UNKNOWN,
            system: SystemSampler::new(clock::now()),
        })
    }

    /// Reads heap figures through `reader` from now on (fragmentation unknown).
    pub(crate) fn set_heap_reader(&mut self, reader: HeapReader) {
        self.heap = HeapSource::reader(reader);
    }

    /// Reads heap figures and fragmentation from `heap` from now on.
    pub(crate) fn set_heap<H: HeapIntrospection + Sync>(&mut self, heap: &'static H) {
        self.heap = HeapSource::heap(heap);
    }

    /// Deepest use of the painted stack so far, in bytes.
    pub(crate) fn stack_high_water_mark(&self) -> usize {
        stack::high_water_mark(&self.stack)
    }

    /// Waits `ms` milliseconds (`embassy-time` under `embassy`, else polling the clock).
    pub(crate) fn delay_ms(&self, ms: u32) -> impl Future<Output = ()> + use<> {
        delay::delay_ms(clock::now, clock::ticks_per_second(), ms)
    }

    /// One memory reading. The heap is `0 / 0` until the application gives it; the
    /// fragmentation ratio is measured on a heap given with `with_heap` and `NaN` with a
    /// `(used, free)` reader, which cannot tell the largest free block.
    pub(crate) fn memory_metrics(&self) -> MemoryMetrics {
        let (heap_used, heap_free, heap_total, fragmentation) = self.heap.read();
        crate::memory::device_reading(
            heap_used,
            heap_free,
            heap_total,
            fragmentation,
            &self.stack,
            self.static_memory,
        )
    }

    /// One system reading at `at`, with the chip's `temperature` if it has a sensor.
    pub(crate) fn system_metrics(
        &self,
        at: ClockReading,
        temperature: Option<f32>,
    ) -> SystemMetrics {
        self.system.read(at.ticks, at.us, temperature)
    }
}

/// Runs `wait` (a `WFI`) with the time it takes counted as idle for `cpu_utilization`.
#[inline]
pub(crate) fn idle_while(wait: impl FnOnce()) {
    idle::begin(clock::now());
    wait();
    idle::end(clock::now());
}

/// Implements the three provider traits, and the heap and stack methods every firmware
/// backend offers, for a backend with a `core: FirmwareCore` field and a
/// `fn temperature(&self) -> Option<f32>` method. A backend that reads more itself names
/// its system reading and Wi-Fi figures: `firmware_providers!(B, system: m, wifi: w)` with
/// `fn m(&self, at: ClockReading) -> SystemMetrics` and `fn w(&self) -> Option<WifiStats>`.
macro_rules! firmware_providers {
    ($backend:ty) => {
        $crate::platform::firmware::firmware_providers!(@common $backend);

        impl $crate::SystemInfoProvider for $backend {
            $crate::platform::firmware::firmware_providers!(@system |backend: &$backend, at| {
                backend.core.system_metrics(at, backend.temperature())
            });
        }
    };
    ($backend:ty, system: $system:ident, wifi: $wifi:ident) => {
        $crate::platform::firmware::firmware_providers!(@common $backend);

        impl $crate::SystemInfoProvider for $backend {
            $crate::platform::firmware::firmware_providers!(@system |backend: &$backend, at| {
                backend.$system(at)
            });

            fn wifi_traffic(&self) -> Option<$crate::WifiStats> {
                self.$wifi()
            }
        }
    };
    // The system readings, from `$read(backend, clock reading)`: the timed one is stamped
    // with the reading its figures were taken at.
    (@system $read:expr) => {
        fn system_metrics(&self) -> $crate::Result<$crate::SystemMetrics> {
            self.timed_system_metrics().map(|(system, _)| system)
        }

        fn timed_system_metrics(
            &self,
        ) -> $crate::Result<($crate::SystemMetrics, Option<u64>)> {
            let at = $crate::platform::firmware::ClockReading::now();
            Ok((($read)(self, at), Some(at.us)))
        }
    };
    (@common $backend:ty) => {
        impl $backend {
            /// Reads heap figures and fragmentation from `heap` (e.g. `&HEAP`, an
            /// `embedded-alloc` `LlffHeap`/`TlsfHeap` with feature `embedded-alloc`, an
            /// `esp_alloc::EspHeap`, or a [`crate::memory::TrackingAllocator`] around one):
            /// each reading measures the largest free block (see
            /// [`crate::memory::introspection`]).
            pub fn with_heap<H: $crate::memory::HeapIntrospection + Sync>(
                mut self,
                heap: &'static H,
            ) -> Self {
                self.core.set_heap(heap);
                self
            }

            /// Reads heap figures through `reader` (e.g. `|| (HEAP.used(), HEAP.free())`):
            /// for a heap without [`crate::memory::HeapIntrospection`]; fragmentation is
            /// then unknown (`NaN`).
            pub fn with_heap_reader(
                mut self,
                reader: $crate::platform::firmware::HeapReader,
            ) -> Self {
                self.core.set_heap_reader(reader);
                self
            }

            /// Deepest use of the main stack since the backend was created, in bytes.
            pub fn stack_high_water_mark(&self) -> usize {
                self.core.stack_high_water_mark()
            }
        }

        impl $crate::TimingProvider for $backend {
            fn now_ticks(&self) -> u64 {
                $crate::clock::now()
            }

            fn ticks_per_second(&self) -> u64 {
                $crate::clock::ticks_per_second()
            }

            fn delay_ms(&self, ms: u32) -> impl core::future::Future<Output = ()> {
                self.core.delay_ms(ms)
            }
        }

        impl $crate::MemoryProvider for $backend {
            fn memory_metrics(&self) -> $crate::Result<$crate::MemoryMetrics> {
                Ok(self.core.memory_metrics())
            }
        }
    };
}
pub(crate) use firmware_providers;
