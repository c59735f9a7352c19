//! [`on_first_poll`] and [`ready`]: the futures of `async` APIs whose work never waits.
//!
//! An `async fn` compiles to a state machine, and each one inlined into a caller's `async`
//! block brings its own states and its own "resumed after completion" panic (with its
//! source location, path included) into the caller. The backends' constructors and the
//! snapshot never wait, so they return [`on_first_poll`] instead: the same `.await` for the
//! caller, the work still done when first polled, and no state machine or panic path of
//! their own (`cargo xtask size`: the full monitor's flash). The monitor's constructors do
//! their work when called and return [`ready`]: the caller's `async` state then holds the
//! monitor's handle, not the provider it was given (RAM in every Embassy task that makes a
//! monitor).

use core::future::Future;
use core::task::Poll;

/// A future that runs `work` when first polled and completes with its result. Polled
/// again after that, it stays pending (where an `async fn` would panic).
pub(crate) fn on_first_poll<T>(work: impl FnOnce() -> T) -> impl Future<Output = T> {
    let mut work = Some(work);
    core::future::poll_fn(move |_| match work.take() {
        Some(work) => Poll::Ready(work()),
        None => Poll::Pending,
    })
}

/// A future that completes with `value` when first polled (stays pending after that, where
/// `core::future::ready` would panic): the monitor's constructors, which need `alloc`.
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
pub(crate) fn ready<T>(value: T) -> impl Future<Output = T> {
    let mut value = Some(value);
    core::future::poll_fn(move |_| value.take().map_or(Poll::Pending, Poll::Ready))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_the_work_on_the_first_poll_only() {
        let runs = core::cell::Cell::new(0);
        let mut future = core::pin::pin!(on_first_poll(|| {
            runs.set(runs.get() + 1);
            7
        }));
        assert_eq!(runs.get(), 0, "creating the future does no work");
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(7));
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Pending);
        assert_eq!(runs.get(), 1);
    }

    #[test]
    fn ready_completes_once_with_its_value() {
        let mut future = core::pin::pin!(ready(7));
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(7));
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Pending);
    }
}
