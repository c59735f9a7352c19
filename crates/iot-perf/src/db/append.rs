//! Appending to a device's run as its messages arrive (`iot-perf ingest --mqtt`): unlike
//! `record`, which stores a capture all at once, a fleet device sends for months, so each
//! device has one run that grows. A batch of messages (any devices) is stored in one
//! write transaction; a message is either stored whole or not at all, so the caller can
//! acknowledge exactly what was stored. Sequence numbers continue from the run's last
//! row (read inside the transaction), so several ingest processes may append to one
//! history.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::open::{explain, retry_busy};
use super::record::{insert_scope, insert_snapshot};
use super::{History, int, now_ms};
use crate::model::OwnedRecord;

/// The records of one message, for the run called `run`.
#[derive(Debug, Clone)]
pub struct Append<'a> {
    /// The device's run (created on its first message).
    pub run: &'a str,
    /// `source` of a new run (where its messages come from).
    pub source: &'a str,
    /// The device's name when no session record named it.
    pub device: &'a str,
    /// Valid records, in arrival order.
    pub records: &'a [OwnedRecord],
    /// Frames of the message that failed to decode.
    pub corrupt: u64,
}

/// What a stored message's run says about its device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The device, as its session record (or the topic) named it.
    pub device: String,
    /// Firmware from the device's latest session record.
    pub firmware: Option<String>,
    /// When the run was created, Unix ms.
    pub recorded_at_unix_ms: i64,
}

impl History {
    /// Stores `messages` in one write transaction and returns, per message, its run's
    /// device and firmware after the message.
    pub fn append(&mut self, messages: &[Append<'_>]) -> Result<Vec<Appended>> {
        let path = self.path.clone();
        retry_busy(|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut out = Vec::with_capacity(messages.len());
            for message in messages {
                out.push(append_one(&tx, message)?);
            }
            tx.commit()?;
            Ok(out)
        })
        .map_err(|e| explain(&path, e))
    }
}

fn append_one(conn: &Connection, m: &Append<'_>) -> rusqlite::Result<Appended> {
    let existing: Option<i64> = conn
        .query_row("SELECT id FROM runs WHERE name = ?1", [m.run], |r| r.get(0))
        .optional()?;
    let run_id = match existing {
        Some(id) => id,
        None => {
            conn.execute(
                "INSERT INTO runs (name, source, recorded_at_unix_ms, device) VALUES (?1, ?2, ?3, ?4)",
                params![m.run, m.source, now_ms(), m.device],
            )?;
            conn.last_insert_rowid()
        }
    };
    let mut seq: i64 = conn.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM snapshots WHERE run_id = ?1), -1),
                    COALESCE((SELECT MAX(seq) FROM scopes WHERE run_id = ?1), -1)) + 1",
        [run_id],
        |r| r.get(0),
    )?;
    let mut dropped: u32 = 0;
    for record in m.records {
        match record {
            OwnedRecord::Session(s) => {
                conn.execute(
                    "UPDATE runs SET device = ?2, firmware = ?3, ticks_per_second = ?4 WHERE id = ?1",
                    params![run_id, s.device, s.firmware, int(s.ticks_per_second)],
                )?;
            }
            OwnedRecord::Snapshot(s) => {
                insert_snapshot(conn, "main.snapshots", run_id, seq, s)?;
                seq += 1;
            }
            OwnedRecord::Scope(s) => {
                insert_scope(conn, "main.scopes", run_id, seq, s)?;
                seq += 1;
            }
            OwnedRecord::Dropped(n) => dropped = dropped.max(*n),
        }
    }
    conn.execute(
        "UPDATE runs SET corrupt_frames = corrupt_frames + ?2,
                         dropped_on_device = MAX(dropped_on_device, ?3) WHERE id = ?1",
        params![run_id, int(m.corrupt), dropped],
    )?;
    conn.query_row(
        "SELECT COALESCE(device, ?2), firmware, recorded_at_unix_ms FROM runs WHERE id = ?1",
        params![run_id, m.device],
        |r| {
            Ok(Appended {
                device: r.get(0)?,
                firmware: r.get(1)?,
                recorded_at_unix_ms: r.get(2)?,
            })
        },
    )
}

impl History {
    /// Runs whose name starts with `prefix`, their distinct (run, device time) snapshots
    /// and their snapshot rows (duplicates included).
    pub fn fleet_counts(&self, prefix: &str) -> Result<(u64, u64, u64)> {
        let pattern = format!("{}%", prefix.replace('%', "\\%").replace('_', "\\_"));
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM runs WHERE name LIKE ?1 ESCAPE '\\'),
                    (SELECT COUNT(*) FROM (SELECT DISTINCT s.run_id, s.timestamp_us FROM snapshots s
                        JOIN runs r ON r.id = s.run_id WHERE r.name LIKE ?1 ESCAPE '\\')),
                    (SELECT COUNT(*) FROM snapshots s JOIN runs r ON r.id = s.run_id
                        WHERE r.name LIKE ?1 ESCAPE '\\')",
            [pattern],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            },
        )?)
    }
}
