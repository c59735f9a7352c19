//! Idle-time accounting: the basis of CPU utilization on firmware.
//!
//! The CPU is idle between [`begin`] and [`end`]. The Embassy trace hooks call them around
//! the executor's sleep (see [`crate::embassy`]); the firmware backends' `wait_for_interrupt`
//! helpers call them around `WFI`. A backend reads [`total`] each sample and reports
//! `1 − Δidle / Δtime` as `cpu_utilization`.
//!
//! Without a firmware backend nothing reads the idle total, and without Embassy either
//! nothing records idle time: this module is then unused.
#![cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3", test)),
    allow(dead_code)
)]

mod percent;

use core::cell::Cell;

use critical_section::Mutex;

pub(crate) use percent::percent;

#[derive(Clone, Copy)]
struct IdleState {
    since: Option<u64>,
    total: u64,
    recorded: bool,
}

static STATE: Mutex<Cell<IdleState>> = Mutex::new(Cell::new(IdleState {
    since: None,
    total: 0,
    recorded: false,
}));

/// The CPU goes idle at `now` (ticks). A second `begin` without `end` keeps the first.
pub(crate) fn begin(now: u64) {
    critical_section::with(|cs| {
        let cell = STATE.borrow(cs);
        let mut state = cell.get();
        if state.since.is_none() {
            state.since = Some(now);
        }
        state.recorded = true;
        cell.set(state);
    });
}

/// The CPU is busy again at `now`. Without a matching `begin` nothing is counted.
pub(crate) fn end(now: u64) {
    critical_section::with(|cs| end_in(cs, now));
}

/// [`end`] inside the caller's critical section (the Embassy hook's, which updates the
/// task table in the same one).
pub(crate) fn end_in(cs: critical_section::CriticalSection<'_>, now: u64) {
    let cell = STATE.borrow(cs);
    let mut state = cell.get();
    if let Some(since) = state.since.take() {
        state.total += now.saturating_sub(since);
    }
    cell.set(state);
}

/// Idle ticks up to `now` (including an idle period still in progress), or `None` when
/// nothing ever reported idle time: then CPU load is not measurable. Out of line: the
/// backend's start and every system reading call it (one copy, not one each).
#[inline(never)]
pub(crate) fn total(now: u64) -> Option<u64> {
    let state = critical_section::with(|cs| STATE.borrow(cs).get());
    state
        .recorded
        .then(|| state.total + state.since.map_or(0, |since| now.saturating_sub(since)))
}

/// CPU busy share in percent over a window of `elapsed` ticks of which `idle` were idle.
pub(crate) fn busy_percent(elapsed: u64, idle: u64) -> f32 {
    // Integer arithmetic: no soft-float on cores without an FPU.
    percent(elapsed.saturating_sub(idle), elapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_share() {
        assert_eq!(busy_percent(1000, 250), 75.0);
        assert_eq!(busy_percent(1000, 5000), 0.0);
        assert_eq!(busy_percent(0, 0), 0.0);
    }

    #[test]
    fn idle_periods_accumulate_including_the_open_one() {
        // Single test touching the global state, so no other test races it.
        assert_eq!(total(0), None);
        begin(100);
        begin(150); // nested begin keeps the first start
        end(300);
        end(400); // unmatched end counts nothing
        assert_eq!(total(400), Some(200));
        begin(500);
        assert_eq!(total(600), Some(300));
        end(700);
        assert_eq!(total(10_000), Some(400));
    }
}
