//! Waiting on firmware: `embassy-time` under the `embassy` feature, otherwise a future
//! that polls the backend's clock and wakes itself until the deadline (it keeps the CPU
//! busy, as any executor-agnostic wait without a timer interrupt must).

use core::future::Future;

/// Waits `ms` milliseconds.
#[cfg(feature = "embassy")]
pub(crate) fn delay_ms(
    _now: fn() -> u64,
    _ticks_per_second: u64,
    ms: u32,
) -> impl Future<Output = ()> {
    embassy_time::Timer::after_millis(u64::from(ms))
}

/// Waits `ms` milliseconds of the clock `now` running at `ticks_per_second`.
#[cfg(not(feature = "embassy"))]
pub(crate) fn delay_ms(
    now: fn() -> u64,
    ticks_per_second: u64,
    ms: u32,
) -> impl Future<Output = ()> {
    let deadline = now().saturating_add(ticks_per_second.saturating_mul(u64::from(ms)) / 1000);
    core::future::poll_fn(move |cx| {
        if now() >= deadline {
            core::task::Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            core::task::Poll::Pending
        }
    })
}
