//! [`ProfiledFuture`]: busy time, wall time and polls of an `async fn`.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::counters::{AsyncCounters, SlotCounters};
use super::detail_fields::DetailFrame;
use super::is_enabled;
use super::registry::AsyncCallSite;
use crate::clock;

pin_project_lite::pin_project! {
    /// Wraps a future so that its scope records, per call, the wall time from first poll to
    /// completion (as the call's duration), and per poll the time the poll kept the CPU
    /// (busy time) and a poll count.
    ///
    /// `#[profile_function]` on an `async fn` builds one of these; build one yourself with
    /// [`profile_future`] to time a future you did not write. A future dropped before it
    /// completes (a cancelled call, the losing branch of a `select`) keeps the busy time
    /// and polls it used, is not counted as a call, and is counted in
    /// [`super::ScopeStats::cancelled`].
    ///
    /// ```
    /// use iot_performance::call_site;
    /// use iot_performance::timing::{self, profile_future};
    ///
    /// let site = call_site!(async "doc_fetch");
    /// let answer = futures_executor::block_on(profile_future(site, async { 42 }));
    /// assert_eq!(answer, 42);
    /// let s = timing::scope("doc_fetch").unwrap();
    /// assert_eq!((s.calls, s.polls), (1, Some(1)));
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct ProfiledFuture<F> {
        #[pin]
        inner: F,
        site: &'static AsyncCallSite,
        // The slot, looked up at the first poll (`None` when disabled; the registry's
        // sink when it was full).
        slot: Option<&'static SlotCounters>,
        // Its poll counters (`None` when the async table was full).
        polls: Option<&'static AsyncCounters>,
        // Its index, for the nesting-stack frame of each poll (`detailed-profiling`).
        index: usize,
        started: bool,
        done: bool,
        first_poll: Option<u64>,
    }

    impl<F> PinnedDrop for ProfiledFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(polls) = *this.polls && !*this.done {
                polls.record_cancel();
            }
        }
    }
}

/// Times `future` as the scope of `site` (see [`ProfiledFuture`]).
pub fn profile_future<F: Future>(site: &'static AsyncCallSite, future: F) -> ProfiledFuture<F> {
    ProfiledFuture {
        inner: future,
        site,
        slot: None,
        polls: None,
        index: 0,
        started: false,
        done: false,
        first_poll: None,
    }
}

impl<F: Future> Future for ProfiledFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let inner = this.inner;

        if !*this.started {
            *this.started = true;
            if is_enabled() {
                let slot = this.site.counters();
                let index = super::registry::index_of(slot);
                *this.slot = Some(slot);
                *this.polls = this.site.async_counters(index);
                *this.index = index;
            }
        }
        let Some(slot) = *this.slot else {
            return inner.poll(cx);
        };
        let frame = DetailFrame::enter(*this.index);
        // The first measured poll starts the wall-clock time, which is 64-bit (a future
        // may wait longer than a 32-bit counter period). On hosts a stamp is that time
        // itself: two clock reads per poll. On MCUs (32-bit stamps) the wall time is read
        // apart, before the poll's start and after its end, so that a call's wall time is
        // never shorter than its busy time.
        #[cfg(target_has_atomic = "64")]
        let (first_poll, start) = {
            let start = clock::stamp();
            (*this.first_poll.get_or_insert(start), start)
        };
        #[cfg(not(target_has_atomic = "64"))]
        let (first_poll, start) = (
            *this.first_poll.get_or_insert_with(clock::now),
            clock::stamp(),
        );
        #[cfg(feature = "trace")]
        crate::trace::scope_enter(slot, start);
        let result = inner.poll(cx);
        let end = clock::stamp();
        #[cfg(feature = "trace")]
        crate::trace::scope_exit(slot, end);
        let busy = clock::elapsed(start, end);
        if let Some(polls) = *this.polls {
            polls.record_poll(busy);
        }
        frame.exit(slot, busy);
        if result.is_ready() {
            *this.done = true;
            #[cfg(target_has_atomic = "64")]
            let wall = end.wrapping_sub(first_poll);
            #[cfg(not(target_has_atomic = "64"))]
            let wall = clock::now().wrapping_sub(first_poll);
            slot.record_call(wall);
        }
        result
    }
}
