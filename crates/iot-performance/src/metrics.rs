//! The metric records every backend produces.
//!
//! Field names and types are the ones users already write against; what a platform
//! cannot measure is documented per field rather than filled with an invented number.

/// Heap, stack and static memory of the device (or host process), in bytes.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MemoryMetrics {
    /// Bytes currently allocated on the heap.
    pub heap_used: usize,
    /// Bytes the heap can still hand out.
    pub heap_free: usize,
    /// Size of the heap (`heap_used + heap_free` plus allocator overhead where reported).
    pub heap_total: usize,
    /// Bytes of the current stack in use (high-water mark where the backend paints the stack,
    /// current depth otherwise — the backend documents which).
    pub stack_used: usize,
    /// Bytes left below [`MemoryMetrics::stack_used`] on the same stack.
    pub stack_free: usize,
    /// Bytes of statically allocated memory (`.data` + `.bss`).
    pub static_memory: usize,
    /// `1 − largest_free_block / total_free`, from 0.0 (one contiguous free block) towards 1.0
    /// (free memory split into small pieces). `NaN` when the allocator cannot report its
    /// largest free block: see [`MemoryMetrics::fragmentation`].
    pub fragmentation_ratio: f32,
}

impl MemoryMetrics {
    /// The fragmentation ratio, or `None` when the backend could not measure it.
    pub fn fragmentation(&self) -> Option<f32> {
        (!self.fragmentation_ratio.is_nan()).then_some(self.fragmentation_ratio)
    }

    /// Heap in use as a share of the heap, in percent; `None` for an empty heap.
    pub fn heap_utilization_percent(&self) -> Option<f32> {
        (self.heap_total > 0).then(|| self.heap_used as f32 * 100.0 / self.heap_total as f32)
    }
}

/// Timing statistics of one profiled function or block.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimingMetrics {
    /// The scope's name as given at the call site.
    pub function_name: &'static str,
    /// Total time spent in the scope over all calls, in microseconds.
    pub execution_time_us: u64,
    /// Number of completed calls.
    pub call_count: u32,
    /// `execution_time_us / call_count` (0 when there were no calls).
    pub average_time_us: u64,
    /// Longest single call, in microseconds.
    pub max_time_us: u64,
    /// Shortest single call, in microseconds (0 when there were no calls).
    pub min_time_us: u64,
}

/// Processor, scheduler and environment figures.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SystemMetrics {
    /// Share of the CPU that was busy over the last sampling window, 0–100 %.
    pub cpu_utilization: f32,
    /// Milliseconds since the device booted (since the process started on a host).
    pub uptime_ms: u64,
    /// Tasks known to the scheduler (threads of the process on a host).
    pub task_count: usize,
    /// Interrupt handler entries recorded through [`crate::interrupts`].
    pub interrupt_count: u64,
    /// Task switches (voluntary and involuntary context switches on a host).
    pub context_switches: u64,
    /// Die temperature in °C, `None` where the chip or OS exposes no sensor.
    pub temperature: Option<f32>,
}

/// One reading of every metric at one instant of the provider's clock.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PerformanceSnapshot {
    /// When the reading was taken, in microseconds of the provider's clock.
    pub timestamp_us: u64,
    /// Memory figures.
    pub memory: MemoryMetrics,
    /// System figures.
    pub system: SystemMetrics,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(fragmentation_ratio: f32) -> MemoryMetrics {
        MemoryMetrics {
            heap_used: 300,
            heap_free: 700,
            heap_total: 1000,
            stack_used: 0,
            stack_free: 0,
            static_memory: 0,
            fragmentation_ratio,
        }
    }

    #[test]
    fn unmeasured_fragmentation_is_none() {
        assert_eq!(memory(f32::NAN).fragmentation(), None);
        assert_eq!(memory(0.25).fragmentation(), Some(0.25));
    }

    #[test]
    fn heap_utilization() {
        assert_eq!(memory(0.0).heap_utilization_percent(), Some(30.0));
        let empty = MemoryMetrics {
            heap_total: 0,
            ..memory(0.0)
        };
        assert_eq!(empty.heap_utilization_percent(), None);
    }
}
