//! What one trace event says: its [`EventKind`], the id it is about and its time.

/// The kind of a trace event (4 bits on the wire; 0 is never a kind, it marks an empty slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum EventKind {
    /// A scope opened; the id is its registry slot (names come from the scope table), or
    /// [`SCOPE_CAPACITY`](crate::timing::SCOPE_CAPACITY), no slot, for a scope the full
    /// registry could not take (its calls count in [`crate::timing::dropped`]).
    ScopeEnter = 1,
    /// A scope closed; the id is its registry slot.
    ScopeExit = 2,
    /// An Embassy task was woken (ready to run); the id is its task-table slot.
    TaskReady = 3,
    /// The executor started polling a task; the id is its task-table slot.
    PollBegin = 4,
    /// The poll returned; the id is its task-table slot.
    PollEnd = 5,
    /// The executor found nothing to run (repeated idle calls are coalesced into one).
    Idle = 6,
    /// An interrupt handler started; the id names the handler (0: unnamed).
    IsrEnter = 7,
    /// An interrupt handler ended; the id names the handler (0: unnamed).
    IsrExit = 8,
    /// A user marker ([`super::marker`]).
    Marker = 9,
    /// A user value ([`super::value`]): the id names the series, the value rides along.
    Value = 10,
}

impl EventKind {
    /// Every kind, in code order.
    pub const ALL: [EventKind; 10] = [
        Self::ScopeEnter,
        Self::ScopeExit,
        Self::TaskReady,
        Self::PollBegin,
        Self::PollEnd,
        Self::Idle,
        Self::IsrEnter,
        Self::IsrExit,
        Self::Marker,
        Self::Value,
    ];

    /// The kind with code `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// The code of this kind (1..=10).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// This kind's bit in a filter mask ([`super::set_kind_mask`]).
    pub const fn bit(self) -> u32 {
        1 << self as u8
    }
}

/// One event as read back from the ring: its kind, id, value (user values only, else 0)
/// and the 32-bit stamp of the one clock it was taken at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RawEvent {
    /// What happened.
    pub kind: EventKind,
    /// Which scope, task, handler, marker or series.
    pub id: u32,
    /// The user value ([`EventKind::Value`]); 0 for the other kinds.
    pub value: i32,
    /// The low 32 bits of the clock's ticks.
    pub stamp: u32,
}
