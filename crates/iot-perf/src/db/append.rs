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
                    COALESCE((SELECT MAX(seq) FROM scopes WHERE run_id = ?1), -1),
                    COALESCE((SELECT MAX(seq) FROM tasks WHERE run_id = ?1), -1),
                    COALESCE((SELECT MAX(seq) FROM interrupts WHERE run_id = ?1), -1)) + 1",
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
            OwnedRecord::Task(t) => {
                super::tasks::insert_task(conn, "main.tasks", run_id, seq, t)?;
                seq += 1;
            }
            OwnedRecord::Interrupt(i) => {
                super::tasks::insert_interrupt(conn, "main.interrupts", run_id, seq, i)?;
                seq += 1;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SessionRow;
    use iot_performance::wire::SnapshotRecord;

    fn snapshot(t: u64) -> OwnedRecord {
        OwnedRecord::Snapshot(SnapshotRecord {
            timestamp_us: t,
            heap_used: t,
            heap_free: 1,
            heap_total: 2,
            stack_used: 1,
            stack_free: 1,
            static_memory: 1,
            fragmentation: None,
            cpu_utilization: 1.0,
            uptime_ms: 1,
            task_count: 1,
            interrupt_count: 1,
            context_switches: 1,
            temperature: None,
        })
    }

    #[test]
    fn messages_append_to_one_run_per_device_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open(&dir.path().join("h.sqlite")).unwrap();
        let session = OwnedRecord::Session(SessionRow {
            device: "node-7".into(),
            firmware: "1.3.0".into(),
            ticks_per_second: 1_000_000,
        });
        let first = [session, snapshot(1)];
        let second = [snapshot(2), OwnedRecord::Dropped(4), snapshot(3)];
        let other = [snapshot(9)];
        let m = |run, records, corrupt| Append {
            run,
            source: "mqtt test",
            device: "topic-device",
            records,
            corrupt,
        };
        let out = h
            .append(&[m("mqtt/f/a", &first, 0), m("mqtt/f/b", &other, 0)])
            .unwrap();
        assert_eq!(out[0].device, "node-7", "the session names the device");
        assert_eq!(out[0].firmware.as_deref(), Some("1.3.0"));
        assert_eq!(
            out[1].device, "topic-device",
            "no session: the topic's name"
        );
        h.append(&[m("mqtt/f/a", &second, 2)]).unwrap();
        let run = h.load("mqtt/f/a").unwrap();
        let times: Vec<u64> = run.snapshots.iter().map(|s| s.timestamp_us).collect();
        assert_eq!(times, [1, 2, 3]);
        assert_eq!(run.run.corrupt_frames, 2);
        assert_eq!(run.run.dropped_on_device, 4);
        assert_eq!(h.runs().unwrap().len(), 2);
        assert_eq!(h.fleet_counts("mqtt/f/").unwrap(), (2, 4, 4));
        let latest = h.latest_states().unwrap();
        assert_eq!(latest[0].snapshots.len(), 1);
        assert_eq!(latest[0].snapshots[0].timestamp_us, 3, "the last snapshot");
    }
}
