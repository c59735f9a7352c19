//! Owned forms of the wire records, as the host keeps them: the wire's own record types
//! with `String` names.

use iot_performance::wire::{Record, ScopeEntry, SessionEntry, SnapshotRecord};

/// A scope row with an owned name; `ticks_to_us` and `mean_us` come with the wire type.
pub type ScopeRow = ScopeEntry<String>;

/// Device, firmware and tick frequency, with owned names.
pub type SessionRow = SessionEntry<String>;

/// A decoded record that owns its strings.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedRecord {
    /// Device, firmware and tick frequency.
    Session(SessionRow),
    /// One system snapshot.
    Snapshot(SnapshotRecord),
    /// One scope row.
    Scope(ScopeRow),
    /// The device's running total of dropped frames.
    Dropped(u32),
}

impl From<Record<'_>> for OwnedRecord {
    fn from(record: Record<'_>) -> Self {
        match record {
            Record::Session(s) => Self::Session(s.map_names(str::to_owned)),
            Record::Snapshot(s) => Self::Snapshot(s),
            Record::Scope(s) => Self::Scope(s.map_name(str::to_owned)),
            Record::Dropped(d) => Self::Dropped(d.frames),
        }
    }
}
