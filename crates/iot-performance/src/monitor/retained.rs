//! Recent samples a monitor keeps for readers of "what the sampler has accumulated"
//! ([`crate::BaselineManager`], [`crate::RegressionDetector`]): each reader holds a
//! [`SampleCursor`] and takes the samples recorded since its previous read.
//!
//! Nothing is kept until the first reader asks; then up to [`RETAINED_CAPACITY`] samples
//! (the oldest are dropped first, and a reader that fell behind is told how many it missed).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::PerformanceSnapshot;

/// Samples kept for readers: about 20 minutes at one sample a second on a host, a minute
/// on firmware.
#[cfg(host_std)]
pub const RETAINED_CAPACITY: usize = 1024;
/// Samples kept for readers: about 20 minutes at one sample a second on a host, a minute
/// on firmware.
#[cfg(not(host_std))]
pub const RETAINED_CAPACITY: usize = 64;

/// Where a reader of a monitor's accumulated samples is: the sequence number of the next
/// sample it has not read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleCursor {
    next: u64,
}

/// What [`crate::PerformanceMonitor::samples_since`] returns.
#[derive(Debug, Clone, Default)]
pub struct Accumulated {
    /// The samples recorded since the cursor, oldest first.
    pub samples: Vec<PerformanceSnapshot>,
    /// Samples recorded since the cursor that were dropped before this read (the reader
    /// fell more than [`RETAINED_CAPACITY`] samples behind, or read for the first time
    /// after samples were taken).
    pub missed: u64,
}

/// Adds a sample to the ring (see [`Retained::push`]).
type Keep = fn(&mut VecDeque<PerformanceSnapshot>, &PerformanceSnapshot);

/// `repr(C)`: `keep` before the ring, so that the zeros of a new one (`keep`, the ring's
/// start and length, `next`) do not form one run of more than 16 bytes (see
/// [`super::shared::MonitorState`]).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Retained {
    /// Set by the first reader. A function pointer rather than a flag, so that firmware
    /// with no reader of accumulated samples does not link the ring's growth (the
    /// `VecDeque` code and `memmove`, ≈ 2 KiB on thumbv7em).
    keep: Option<Keep>,
    ring: VecDeque<PerformanceSnapshot>,
    /// Sequence number of the next sample recorded.
    next: u64,
}

impl Retained {
    pub(crate) const fn new() -> Self {
        Self {
            keep: None,
            ring: VecDeque::new(),
            next: 0,
        }
    }

    /// Records a sample (kept only once a reader has asked).
    pub(crate) fn push(&mut self, snapshot: &PerformanceSnapshot) {
        self.next += 1;
        if let Some(keep) = self.keep {
            keep(&mut self.ring, snapshot);
        }
    }

    /// From now on, samples are kept for readers.
    fn start_keeping(&mut self) {
        self.keep = Some(keep_sample);
    }

    /// A cursor at the next sample, and samples kept from now on.
    pub(crate) fn cursor_now(&mut self) -> SampleCursor {
        self.start_keeping();
        SampleCursor { next: self.next }
    }

    /// The samples since `cursor`, which moves past them.
    pub(crate) fn since(&mut self, cursor: &mut SampleCursor) -> Accumulated {
        self.start_keeping();
        let first_kept = self.next - self.ring.len() as u64;
        let from = cursor.next.max(first_kept);
        let skip = usize::try_from(from - first_kept).unwrap_or(usize::MAX);
        let mut samples = Vec::new();
        if samples
            .try_reserve(self.ring.len().saturating_sub(skip))
            .is_ok()
        {
            samples.extend(self.ring.iter().skip(skip).cloned());
        }
        let missed = self.next.saturating_sub(cursor.next) - samples.len() as u64;
        cursor.next = self.next;
        Accumulated { samples, missed }
    }
}

/// Keeps `snapshot`, dropping the oldest sample beyond [`RETAINED_CAPACITY`].
fn keep_sample(ring: &mut VecDeque<PerformanceSnapshot>, snapshot: &PerformanceSnapshot) {
    if ring.len() >= RETAINED_CAPACITY {
        ring.pop_front();
    }
    // Out of heap: the sample is counted as missed by readers rather than aborting.
    if ring.try_reserve(1).is_ok() {
        ring.push_back(snapshot.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(t: u64) -> PerformanceSnapshot {
        use crate::{MemoryProvider, SystemInfoProvider};
        let mock = crate::mock::MockMetrics::new_with_defaults();
        PerformanceSnapshot {
            timestamp_us: t,
            memory: mock.memory_metrics().unwrap(),
            system: mock.system_metrics().unwrap(),
        }
    }

    #[test]
    fn readers_take_what_was_recorded_since_their_cursor() {
        let mut r = Retained::new();
        r.push(&snap(1)); // before any reader: not kept
        let mut a = r.cursor_now();
        r.push(&snap(2));
        r.push(&snap(3));
        let got = r.since(&mut a);
        let times: Vec<u64> = got.samples.iter().map(|s| s.timestamp_us).collect();
        assert_eq!((times, got.missed), (alloc::vec![2, 3], 0));
        r.push(&snap(4));
        assert_eq!(r.since(&mut a).samples.len(), 1);
        assert!(r.since(&mut a).samples.is_empty());
    }

    #[test]
    fn a_reader_that_fell_behind_is_told_what_it_missed() {
        let mut r = Retained::new();
        let mut a = r.cursor_now();
        for t in 0..(RETAINED_CAPACITY as u64 + 5) {
            r.push(&snap(t));
        }
        let got = r.since(&mut a);
        assert_eq!(got.samples.len(), RETAINED_CAPACITY);
        assert_eq!(got.missed, 5);
        assert_eq!(got.samples[0].timestamp_us, 5);
    }
}
