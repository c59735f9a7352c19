//! The state a monitor handle points at, and how handles point at it.

use core::cell::RefCell;

use critical_section::Mutex;

use super::on_demand::OnDemand;
use crate::{MetricStats, MonitorConfig, PerformanceSnapshot};

/// What the sampler has seen so far.
///
/// `repr(C)`, fields in this order, for code size: a new state is mostly zeros, and the
/// compiler writes a run of more than 16 zero bytes with a `memset` call, which links the
/// compiler runtime's `memset` (174 B `__aeabi_memclr8` on thumbv7em) into firmware that
/// otherwise has none. In Rust's own order the zero fields made runs of 20 and 22 bytes;
/// here non-zero initial values (the config's interval, the empty vectors' dangling
/// pointers) separate runs of at most 16 ([`super::retained::Retained`] is `repr(C)` for
/// the same reason). Measured by `cargo xtask size` (full monitor, thumbv7em: −184 B).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct MonitorState {
    pub(crate) last: Option<PerformanceSnapshot>,
    /// Recent samples kept for readers of what the sampler accumulated (created by the
    /// first reader).
    #[cfg(feature = "alloc")]
    pub(crate) retained: super::retained::Retained,
    pub(crate) config: MonitorConfig,
    pub(crate) samples: u32,
    pub(crate) failed_samples: u32,
    /// Counts `start_monitoring` calls: a background sampler ends when it changes.
    pub(crate) generation: u32,
    /// Running statistics, created by `start_realtime_analysis`.
    pub(crate) stats: OnDemand<MetricStats>,
    /// Set by `start_realtime_analysis`: records a sample into the running statistics.
    /// A function pointer rather than a flag, so that firmware which never starts
    /// real-time analysis does not link the statistics (and their `f64` arithmetic).
    pub(crate) realtime: Option<RecordStats>,
    pub(crate) running: bool,
    /// Samples are being taken by something else than the caller: a running
    /// [`crate::PerformanceMonitor::run`] future or the background sampler thread.
    pub(crate) driven: bool,
    /// State of a layer above the monitor (regression checks), created by its first use.
    #[cfg(feature = "alloc")]
    pub(crate) attachment: super::attachment::Attachment,
    /// The background sampler thread, woken early by `stop_monitoring` and drop.
    #[cfg(host_std)]
    pub(crate) sampler: Option<std::thread::Thread>,
}

/// Records one sample into the running statistics (`memory` = memory tracking on).
pub(crate) type RecordStats = fn(&mut MetricStats, &crate::PerformanceSnapshot, bool);

/// A provider and the monitor's state, shared by every clone of a handle.
///
/// Firmware without `alloc` places one in a `static` (for example with the `static_cell`
/// crate) and builds handles with `PerformanceMonitor::from_static` (available without `alloc`).
#[derive(Debug)]
pub struct MonitorCell<P> {
    pub(crate) provider: P,
    pub(crate) state: Mutex<RefCell<MonitorState>>,
    /// Starts the background sampler (host monitors of a `'static` backend).
    #[cfg(feature = "alloc")]
    pub(crate) background: Option<super::background::Launcher<P>>,
}

#[cfg(host_std)]
impl<P> Drop for MonitorCell<P> {
    /// Wakes the background sampler, which then finds the monitor gone and ends.
    fn drop(&mut self) {
        if let Some(thread) = self.state.get_mut().get_mut().sampler.take() {
            thread.unpark();
        }
    }
}

impl<P> MonitorCell<P> {
    /// A cell for `provider`, configured by `config` (checked when a handle is made).
    pub const fn new(provider: P, config: MonitorConfig) -> Self {
        Self {
            provider,
            state: Mutex::new(RefCell::new(MonitorState {
                config,
                running: false,
                realtime: None,
                samples: 0,
                failed_samples: 0,
                last: None,
                stats: OnDemand::new(),
                #[cfg(feature = "alloc")]
                attachment: super::attachment::Attachment::new(),
                generation: 0,
                driven: false,
                #[cfg(feature = "alloc")]
                retained: super::retained::Retained::new(),
                #[cfg(host_std)]
                sampler: None,
            })),
            #[cfg(feature = "alloc")]
            background: None,
        }
    }

    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut MonitorState) -> R) -> R {
        critical_section::with(|cs| f(&mut self.state.borrow_ref_mut(cs)))
    }

    /// Runs `f` on the `T` a layer above the monitor keeps with it, created with `create`
    /// by the first call (inside the monitor's critical section).
    ///
    /// # Errors
    /// As [`super::attachment::Attachment::get_or_try_init`]: the heap cannot hold a `T`.
    #[cfg(feature = "alloc")]
    pub(crate) fn with_attachment<T: core::any::Any + Send, R>(
        &self,
        create: fn() -> T,
        f: impl FnOnce(&mut T) -> R,
    ) -> crate::Result<R> {
        self.with_state(|s| s.attachment.get_or_try_init(create).map(f))
    }
}

/// A counted reference with `alloc`; a `&'static` otherwise.
#[cfg(feature = "alloc")]
pub(crate) type CellRef<P> = portable_atomic_util::Arc<MonitorCell<P>>;
#[cfg(not(feature = "alloc"))]
pub(crate) type CellRef<P> = &'static MonitorCell<P>;

/// What a provider must satisfy to sit behind a monitor handle: anything with `alloc`
/// (handles are reference-counted), `'static` without it (handles are `&'static`).
#[cfg(feature = "alloc")]
pub trait HandleBound {}
#[cfg(feature = "alloc")]
impl<T: ?Sized> HandleBound for T {}

/// What a provider must satisfy to sit behind a monitor handle: anything with `alloc`
/// (handles are reference-counted), `'static` without it (handles are `&'static`).
#[cfg(not(feature = "alloc"))]
pub trait HandleBound: 'static {}
#[cfg(not(feature = "alloc"))]
impl<T: ?Sized + 'static> HandleBound for T {}
