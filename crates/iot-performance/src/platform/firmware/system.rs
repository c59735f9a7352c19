//! [`SystemSampler`]: a firmware's system figures — uptime, CPU load from idle accounting,
//! interrupt count, and tasks and context switches from the Embassy hooks.

use core::cell::Cell;

use critical_section::Mutex;

use crate::SystemMetrics;
use crate::timing::{idle, interrupts};

/// Remembers the previous reading so that CPU load covers the time since then.
#[derive(Debug)]
pub(crate) struct SystemSampler {
    previous: Mutex<Cell<(u64, u64)>>,
}

impl SystemSampler {
    /// Starts the first window at `now`.
    pub(crate) fn new(now: u64) -> Self {
        Self {
            previous: Mutex::new(Cell::new((now, idle::total(now).unwrap_or(0)))),
        }
    }

    /// Reads the figures at `now` (ticks; `now_us`, the same instant in microseconds) with the
    /// given temperature.
    pub(crate) fn read(&self, now: u64, now_us: u64, temperature: Option<f32>) -> SystemMetrics {
        let idle_total = idle::total(now);
        let cpu_utilization = critical_section::with(|cs| {
            let cell = self.previous.borrow(cs);
            let (last_now, last_idle) = cell.get();
            let idle_now = idle_total.unwrap_or(0);
            cell.set((now, idle_now));
            match idle_total {
                Some(_) => idle::busy_percent(
                    now.saturating_sub(last_now),
                    idle_now.saturating_sub(last_idle),
                ),
                None => f32::NAN,
            }
        });
        let (task_count, context_switches) = scheduler_figures();
        SystemMetrics {
            cpu_utilization,
            uptime_ms: now_us / 1000,
            task_count,
            interrupt_count: interrupts::total(),
            context_switches,
            temperature,
        }
    }
}

#[cfg(feature = "embassy")]
fn scheduler_figures() -> (usize, u64) {
    let summary = crate::timing::embassy::executor_summary();
    (summary.task_count, summary.context_switches)
}

/// Without an executor the firmware runs one thread of execution and never switches.
#[cfg(not(feature = "embassy"))]
fn scheduler_figures() -> (usize, u64) {
    (1, 0)
}
