//! Owned forms of the wire records, as the host keeps them.

use iot_performance::wire::{Record, ScopeRecord, SnapshotRecord};

/// A decoded record that owns its strings.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedRecord {
    /// Device, firmware and tick frequency.
    Session {
        /// Device name.
        device: String,
        /// Firmware name and version.
        firmware: String,
        /// Tick frequency of scope times.
        ticks_per_second: u64,
    },
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
            Record::Session(s) => Self::Session {
                device: s.device.to_owned(),
                firmware: s.firmware.to_owned(),
                ticks_per_second: s.ticks_per_second,
            },
            Record::Snapshot(s) => Self::Snapshot(s),
            Record::Scope(s) => Self::Scope(ScopeRow::from(&s)),
            Record::Dropped(d) => Self::Dropped(d.frames),
        }
    }
}

/// A scope row with an owned name.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScopeRow {
    /// Device clock when read, µs.
    pub timestamp_us: u64,
    /// Scope name.
    pub name: String,
    /// Completed calls.
    pub calls: u64,
    /// Sum of durations, ticks.
    pub total_ticks: u64,
    /// Shortest call, ticks.
    pub min_ticks: u64,
    /// Longest call, ticks.
    pub max_ticks: u64,
    /// Self time, ticks.
    pub self_ticks: Option<u64>,
    /// Async busy time, ticks.
    pub busy_ticks: Option<u64>,
    /// Async wall time, ticks.
    pub wall_ticks: Option<u64>,
    /// Async polls.
    pub polls: Option<u64>,
    /// Tick frequency.
    pub ticks_per_second: u64,
}

impl From<&ScopeRecord<'_>> for ScopeRow {
    fn from(s: &ScopeRecord<'_>) -> Self {
        Self {
            timestamp_us: s.timestamp_us,
            name: s.name.to_owned(),
            calls: s.calls,
            total_ticks: s.total_ticks,
            min_ticks: s.min_ticks,
            max_ticks: s.max_ticks,
            self_ticks: s.self_ticks,
            busy_ticks: s.busy_ticks,
            wall_ticks: s.wall_ticks,
            polls: s.polls,
            ticks_per_second: s.ticks_per_second,
        }
    }
}

impl ScopeRow {
    /// Ticks to microseconds at this row's frequency.
    pub fn ticks_to_us(&self, ticks: u64) -> f64 {
        if self.ticks_per_second == 0 {
            return 0.0;
        }
        ticks as f64 * 1e6 / self.ticks_per_second as f64
    }

    /// Mean call duration in µs, `None` without calls.
    pub fn mean_us(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.ticks_to_us(self.total_ticks) / self.calls as f64)
    }
}
