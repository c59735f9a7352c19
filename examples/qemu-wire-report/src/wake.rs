//! What the two tasks wait on: the millisecond tick (woken by SysTick) and a due report
//! (woken by the sensor task). Each is a counter plus one waker slot; a waiter registers
//! its waker in the same critical section that finds the counter unchanged, so no wake-up
//! between the check and the registration is lost.

use core::cell::RefCell;
use core::future::poll_fn;
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::{Poll, Waker};

use critical_section::Mutex;

/// A counter that only grows, and the task waiting for it to pass a value.
pub struct Event {
    count: AtomicU32,
    waiter: Mutex<RefCell<Option<Waker>>>,
}

impl Event {
    /// An event that has not happened yet.
    pub const fn new() -> Self {
        Self {
            count: AtomicU32::new(0),
            waiter: Mutex::new(RefCell::new(None)),
        }
    }

    /// Times it happened.
    pub fn count(&self) -> u32 {
        self.count.load(Ordering::Acquire)
    }

    /// Counts one occurrence and wakes the waiting task (from a task or an interrupt).
    pub fn signal(&self) {
        let waiter = critical_section::with(|cs| {
            self.count.fetch_add(1, Ordering::AcqRel);
            self.waiter.borrow_ref_mut(cs).take()
        });
        if let Some(waker) = waiter {
            waker.wake();
        }
    }

    /// Waits until it has happened more than `seen` times.
    pub async fn after(&self, seen: u32) {
        poll_fn(|cx| {
            critical_section::with(|cs| {
                if self.count.load(Ordering::Acquire) != seen {
                    Poll::Ready(())
                } else {
                    *self.waiter.borrow_ref_mut(cs) = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
        })
        .await;
    }
}
