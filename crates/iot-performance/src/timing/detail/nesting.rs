//! The per-context nesting stack that splits a scope's time into self time and the time of
//! the scopes nested in it, and records caller → callee edges.
//!
//! A context is a thread under `std`; on firmware it is the whole CPU, shared by thread
//! mode and interrupt handlers under a critical section (an interrupt's scopes open and
//! close before the interrupted code resumes, so the stack stays last-in first-out).
//! A scope that ends out of order (a guard held across an `.await` while another task
//! ran scopes, or moved to another thread) is found by its frame id and removed; one that
//! cannot be found is counted in [`super::unbalanced`] and gets no self time.

use super::accum::Accum;
use super::edges;
use crate::timing::counters::SlotCounters;

/// How deep scopes may nest per context; deeper scopes are timed but not split.
pub const MAX_DEPTH: usize = 16;

/// Identifies an open frame: the address of its context's stack and an id unique on that
/// stack (0 = not on a stack). A guard dropped on another thread finds another stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    stack: usize,
    id: u64,
}

impl Frame {
    pub(crate) const UNTRACKED: Frame = Frame { stack: 0, id: 0 };
}

#[derive(Clone, Copy)]
struct Open {
    id: u64,
    index: u16,
    children: u64,
}

pub(crate) struct Stack {
    frames: [Open; MAX_DEPTH],
    len: usize,
    /// 0 until first used; then `stack generation << 32 | frame count`, so that a
    /// thread-local stack reusing a dead thread's address never reuses its ids.
    next_id: u64,
}

impl Stack {
    pub(crate) const fn new() -> Self {
        Self {
            frames: [Open {
                id: 0,
                index: 0,
                children: 0,
            }; MAX_DEPTH],
            len: 0,
            next_id: 0,
        }
    }

    fn push(&mut self, index: usize) -> Frame {
        if self.len == MAX_DEPTH {
            TOO_DEEP.add(1);
            return Frame::UNTRACKED;
        }
        if self.next_id == 0 {
            self.next_id = (u64::from(next_generation()) << 32) | 1;
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.frames[self.len] = Open {
            id,
            index: index as u16,
            children: 0,
        };
        self.len += 1;
        Frame {
            stack: self.address(),
            id,
        }
    }

    fn address(&self) -> usize {
        core::ptr::from_ref(self) as usize
    }

    /// Removes `frame`, charging `ticks` to its parent; returns the self time and parent.
    fn pop(&mut self, frame: Frame, ticks: u64) -> Option<(u64, Option<usize>)> {
        if frame.stack != self.address() {
            return None;
        }
        let pos = self.frames[..self.len]
            .iter()
            .rposition(|f| f.id == frame.id)?;
        let open = self.frames[pos];
        self.frames.copy_within(pos + 1..self.len, pos);
        self.len -= 1;
        let parent = if pos > 0 {
            let p = &mut self.frames[pos - 1];
            p.children = p.children.saturating_add(ticks);
            Some(usize::from(p.index))
        } else {
            None
        };
        Some((ticks.saturating_sub(open.children), parent))
    }
}

/// A number per stack put to use (wraps after 2^32 threads).
fn next_generation() -> u32 {
    use portable_atomic::{AtomicU32, Ordering};
    static GENERATION: AtomicU32 = AtomicU32::new(1);
    GENERATION.fetch_add(1, Ordering::Relaxed)
}

static TOO_DEEP: Accum = Accum::new();
static UNBALANCED: Accum = Accum::new();

/// Scopes that nested deeper than [`MAX_DEPTH`] (timed, not split into self time).
pub(crate) fn too_deep() -> u64 {
    TOO_DEEP.get()
}

/// Scopes that ended where their frame could not be found (no self time recorded).
pub(crate) fn unbalanced() -> u64 {
    UNBALANCED.get()
}

pub(crate) fn reset() {
    TOO_DEEP.clear();
    UNBALANCED.clear();
}

#[cfg(host_std)]
fn with_stack<R>(f: impl FnOnce(&mut Stack) -> R) -> Option<R> {
    std::thread_local! {
        static STACK: core::cell::RefCell<Stack> = const { core::cell::RefCell::new(Stack::new()) };
    }
    // `try_with`: scopes dropped while the thread is being torn down are simply not split.
    STACK
        .try_with(|s| s.try_borrow_mut().ok().map(|mut s| f(&mut s)))
        .ok()
        .flatten()
}

#[cfg(not(host_std))]
fn with_stack<R>(f: impl FnOnce(&mut Stack) -> R) -> Option<R> {
    static STACK: critical_section::Mutex<core::cell::RefCell<Stack>> =
        critical_section::Mutex::new(core::cell::RefCell::new(Stack::new()));
    critical_section::with(|cs| Some(f(&mut STACK.borrow_ref_mut(cs))))
}

/// Opens a frame for slot `index` on this context's stack.
#[inline]
pub(crate) fn enter(index: usize) -> Frame {
    // The registry's sink (index SCOPE_CAPACITY: the scopes that did not fit) takes no
    // frame: what runs inside such a scope nests in the scope around it.
    if index >= crate::timing::SCOPE_CAPACITY {
        return Frame::UNTRACKED;
    }
    with_stack(|s| s.push(index)).unwrap_or(Frame::UNTRACKED)
}

/// Closes `frame` of slot `slot`/`index` after `ticks`: records its self time and the
/// edge from its parent.
#[inline]
pub(crate) fn exit(frame: Frame, index: usize, slot: &SlotCounters, ticks: u64) {
    if frame == Frame::UNTRACKED {
        return;
    }
    match with_stack(|s| s.pop(frame, ticks)).flatten() {
        Some((self_ticks, parent)) => {
            slot.record_self(self_ticks);
            if let Some(parent) = parent {
                edges::add(parent, index, ticks);
            }
        }
        None => UNBALANCED.add(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_time_and_parents_on_one_stack() {
        let mut s = Stack::new();
        let outer = s.push(1);
        let inner = s.push(2);
        assert_eq!(s.pop(inner, 30), Some((30, Some(1))));
        assert_eq!(s.pop(outer, 100), Some((70, None)));
        assert_eq!(s.len, 0);
    }

    #[test]
    fn out_of_order_pop_removes_the_right_frame() {
        let mut s = Stack::new();
        let a = s.push(1);
        let b = s.push(2);
        let c = s.push(3);
        assert_eq!(s.pop(b, 10), Some((10, Some(1))));
        assert_eq!(s.pop(c, 4), Some((4, Some(1))));
        assert_eq!(s.pop(a, 20), Some((6, None)));
        assert_eq!(s.pop(a, 1), None, "already closed");
    }

    #[test]
    fn frames_of_another_stack_are_not_found() {
        let mut one = Stack::new();
        let mut two = Stack::new();
        let f = one.push(1);
        let _g = two.push(1);
        assert_eq!(two.pop(f, 5), None);
        assert_eq!(one.pop(f, 5), Some((5, None)));
    }

    #[test]
    fn the_registry_sink_takes_no_frame() {
        assert_eq!(enter(crate::timing::SCOPE_CAPACITY), Frame::UNTRACKED);
        let tracked = enter(0);
        assert_ne!(tracked, Frame::UNTRACKED);
        assert_eq!(with_stack(|s| s.pop(tracked, 1)).flatten(), Some((1, None)));
    }

    #[test]
    fn depth_is_bounded() {
        let mut s = Stack::new();
        let frames: [Frame; MAX_DEPTH] = core::array::from_fn(|i| s.push(i));
        assert_eq!(s.push(99), Frame::UNTRACKED);
        for f in frames.iter().rev() {
            assert!(s.pop(*f, 1).is_some());
        }
    }
}
