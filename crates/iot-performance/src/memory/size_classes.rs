//! Live allocations by size class (`detailed-profiling`), and which classes only grow.
//!
//! A `GlobalAlloc` never learns its caller, so the tracking allocator attributes each
//! block to its *size class* — the power of two its size rounds up to — in a fixed table
//! of [`SIZE_CLASSES`] atomic counters. The [`super::MemoryAnalyzer`] takes the floor
//! (minimum) of every class's live count over each window and names the classes whose
//! floor never fell and rose over the last windows: where a leak lives, that class's
//! count only goes up, while buffers that come and go return to their floor.

use portable_atomic::{AtomicUsize, Ordering::Relaxed};

/// Number of size classes: class `k` holds blocks of `2^(k−1) + 1 ..= 2^k` bytes
/// (class 0: 0–1 byte); the last class also takes every larger block.
pub const SIZE_CLASSES: usize = 32;

/// The size class of a block of `size` bytes.
pub fn size_class(size: usize) -> usize {
    let bits = (usize::BITS - size.saturating_sub(1).leading_zeros()) as usize;
    bits.min(SIZE_CLASSES - 1)
}

/// Sizes of the blocks in one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SizeClass {
    /// Index in `0..SIZE_CLASSES`.
    pub index: u8,
    /// Smallest block size in the class, in bytes.
    pub min_bytes: usize,
    /// Largest block size in the class (`usize::MAX` for the last class).
    pub max_bytes: usize,
}

impl SizeClass {
    /// The class with `index` (clamped to the last class).
    pub fn from_index(index: usize) -> Self {
        let index = index.min(SIZE_CLASSES - 1);
        let max_bytes = if index == SIZE_CLASSES - 1 {
            usize::MAX
        } else {
            1usize << index
        };
        let min_bytes = match index {
            0 => 0,
            _ => (1usize << (index - 1)) + 1,
        };
        Self {
            index: index as u8,
            min_bytes,
            max_bytes,
        }
    }
}

pub(crate) struct LiveTable([AtomicUsize; SIZE_CLASSES]);

pub(crate) static LIVE: LiveTable = LiveTable([const { AtomicUsize::new(0) }; SIZE_CLASSES]);

impl LiveTable {
    #[inline]
    pub(crate) fn add(&self, size: usize) {
        self.0[size_class(size)].fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn remove(&self, size: usize) {
        self.0[size_class(size)].fetch_sub(1, Relaxed);
    }
}

/// Live blocks in each size class, as counted by the tracking allocator.
pub fn live_by_size_class() -> [usize; SIZE_CLASSES] {
    core::array::from_fn(|i| LIVE.0[i].load(Relaxed))
}

/// A set of size classes (a bit per class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SizeClassSet(u32);

impl SizeClassSet {
    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Whether `index` is in the set.
    pub fn contains(&self, index: usize) -> bool {
        index < SIZE_CLASSES && self.0 & (1 << index) != 0
    }

    /// The classes in the set, smallest first.
    pub fn iter(&self) -> impl Iterator<Item = SizeClass> + '_ {
        (0..SIZE_CLASSES)
            .filter(|i| self.contains(*i))
            .map(SizeClass::from_index)
    }

    fn insert(&mut self, index: usize) {
        self.0 |= 1 << index;
    }
}

/// Per-class floors over windows: which classes' live counts only grow.
#[derive(Debug, Clone)]
pub(crate) struct SiteTrend {
    window_min: [usize; SIZE_CLASSES],
    last_floor: [usize; SIZE_CLASSES],
    streak_start: [usize; SIZE_CLASSES],
    streak: [u8; SIZE_CLASSES],
    windows: u32,
}

impl SiteTrend {
    pub(crate) const fn new() -> Self {
        Self {
            window_min: [usize::MAX; SIZE_CLASSES],
            last_floor: [0; SIZE_CLASSES],
            streak_start: [0; SIZE_CLASSES],
            streak: [0; SIZE_CLASSES],
            windows: 0,
        }
    }

    pub(crate) fn sample(&mut self, live: &[usize; SIZE_CLASSES]) {
        for (min, now) in self.window_min.iter_mut().zip(live) {
            *min = (*min).min(*now);
        }
    }

    /// Closes a window: a class continues its streak while its floor does not fall.
    pub(crate) fn close_window(&mut self) {
        for i in 0..SIZE_CLASSES {
            let floor = self.window_min[i];
            if self.windows == 0 || floor < self.last_floor[i] {
                self.streak[i] = 0;
                self.streak_start[i] = floor;
            } else {
                self.streak[i] = self.streak[i].saturating_add(1);
            }
            self.last_floor[i] = floor;
            self.window_min[i] = usize::MAX;
        }
        self.windows = self.windows.saturating_add(1);
    }

    /// Classes whose floor did not fall for `min_windows` windows and rose over them.
    pub(crate) fn growing(&self, min_windows: u8) -> SizeClassSet {
        let mut set = SizeClassSet::default();
        for i in 0..SIZE_CLASSES {
            if self.streak[i] >= min_windows && self.last_floor[i] > self.streak_start[i] {
                set.insert(i);
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_powers_of_two() {
        assert_eq!(size_class(0), 0);
        assert_eq!(size_class(1), 0);
        assert_eq!(size_class(2), 1);
        assert_eq!(size_class(3), 2);
        assert_eq!(size_class(64), 6);
        assert_eq!(size_class(65), 7);
        assert_eq!(size_class(usize::MAX), SIZE_CLASSES - 1);
        let c = SizeClass::from_index(7);
        assert_eq!((c.min_bytes, c.max_bytes), (65, 128));
    }

    #[test]
    fn only_a_rising_floor_is_named() {
        let mut t = SiteTrend::new();
        for w in 0..8usize {
            let mut live = [0usize; SIZE_CLASSES];
            // class 6 leaks one block per window; class 9 comes and goes.
            live[6] = w;
            t.sample(&live);
            live[9] = 5;
            t.sample(&live);
            t.close_window();
        }
        let grown = t.growing(5);
        assert!(grown.contains(6));
        assert!(!grown.contains(9));
        assert_eq!(grown.iter().count(), 1);
    }
}
