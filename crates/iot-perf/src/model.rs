//! What the host keeps: owned forms of the wire records (the wire's own record types with
//! `String` names), a stored run, and [`LoadedRun`], a run with everything it recorded,
//! which every analysis, comparison, report and export reads.

use iot_performance::wire::{Record, ScopeEntry, SessionEntry, SnapshotRecord};

pub use crate::tasks::{InterruptRow, TaskRow, TaskTables};

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
    /// One row of the device's Embassy task table.
    Task(TaskRow),
    /// One interrupt handler's figures.
    Interrupt(InterruptRow),
}

impl From<Record<'_>> for OwnedRecord {
    fn from(record: Record<'_>) -> Self {
        match record {
            Record::Session(s) => Self::Session(s.map_names(str::to_owned)),
            Record::Snapshot(s) => Self::Snapshot(s),
            Record::Scope(s) => Self::Scope(s.map_name(str::to_owned)),
            Record::Dropped(d) => Self::Dropped(d.frames),
            Record::Task(t) => Self::Task(t.map_name(str::to_owned)),
            Record::Interrupt(i) => Self::Interrupt(i.map_name(str::to_owned)),
        }
    }
}

/// A run as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Run {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Where the frames came from.
    pub source: String,
    /// When ingest started, Unix ms.
    pub recorded_at_unix_ms: i64,
    /// Device name from its session record.
    pub device: Option<String>,
    /// Firmware from its session record.
    pub firmware: Option<String>,
    /// Frames skipped as corrupt during ingest.
    pub corrupt_frames: i64,
    /// Frames the device said it dropped.
    pub dropped_on_device: i64,
}

/// A run with its snapshots and scope rows, read once from the history
/// (`History::load`); everything downstream is a pure function of it.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    /// The run.
    pub run: Run,
    /// Its snapshots, in arrival order.
    pub snapshots: Vec<SnapshotRecord>,
    /// Its scope rows, in arrival order.
    pub scopes: Vec<ScopeRow>,
    /// Its task and interrupt handler rows.
    pub tasks: TaskTables,
}
