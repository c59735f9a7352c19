//! Trace events in the history: each trace-chunk frame a run received, as the device
//! encoded it (2 to 4 bytes per event, [`iot_performance::trace::codec`]), in arrival
//! order, with its event count and the count of events lost before it. A trace frame that
//! failed its checks is kept as a row without a chunk: a gap of unknown size. Reading
//! streams the chunks through the library's [`ChunkDecoder`] (absolute times, gaps
//! marked), so nothing holds a whole trace in memory.

use std::collections::BTreeMap;

use anyhow::Result;
use rusqlite::{Connection, params};

use iot_performance::trace::{ChunkDecoder, TraceEvent};

use super::History;
use super::record::Recording;
use crate::timeline::TrackNames;

/// The trace table (schema 2), run on every install and upgrade.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS trace_chunks (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    chunk BLOB,
    events INTEGER NOT NULL,
    lost INTEGER
);
CREATE INDEX IF NOT EXISTS trace_chunks_by_run ON trace_chunks(run_id, seq);
";

/// The staging table of a recording (temporary, no lock on the history).
pub const STAGE: &str = "
DROP TABLE IF EXISTS temp.stage_trace;
CREATE TEMP TABLE stage_trace (seq INTEGER PRIMARY KEY, chunk BLOB, events INTEGER NOT NULL, lost INTEGER);
";

/// Drops the staging table.
pub const UNSTAGE: &str = "DROP TABLE IF EXISTS temp.stage_trace;";

/// Copies the staged chunks into the history as run `run_id` (inside the final write
/// transaction of a recording).
pub fn store_staged(conn: &Connection, run_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO main.trace_chunks (run_id, seq, chunk, events, lost)
         SELECT ?1, seq, chunk, events, lost FROM temp.stage_trace ORDER BY seq",
        [run_id],
    )?;
    Ok(())
}

/// Removes the trace of run `run_id` (a history without the table has none).
pub fn remove_run(conn: &Connection, run_id: i64) -> rusqlite::Result<()> {
    if has_table(conn)? {
        conn.execute("DELETE FROM trace_chunks WHERE run_id = ?1", [run_id])?;
    }
    Ok(())
}

fn has_table(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'trace_chunks')",
        [],
        |r| r.get(0),
    )
}

/// What one trace frame held, as counted when it was staged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkCounts {
    /// Events decoded.
    pub events: u64,
    /// Events the device said it lost before them.
    pub lost: u64,
}

/// Counts the events of `chunk`; `None` when it does not decode (a damaged chunk inside
/// an intact frame).
pub fn count(chunk: &[u8]) -> Option<ChunkCounts> {
    let mut decoder = ChunkDecoder::new();
    let mut counts = ChunkCounts::default();
    for event in decoder.decode(chunk).ok()? {
        let event = event.ok()?;
        match event.kind {
            Some(_) => counts.events += 1,
            None => counts.lost += u64::from(event.lost),
        }
    }
    Some(counts)
}

impl Recording<'_> {
    /// Stages one trace frame's chunk (`None`: a trace frame that failed its checks, kept
    /// as a gap). Returns what it counted; a chunk that does not decode is staged as a gap.
    pub fn push_trace(&mut self, chunk: Option<&[u8]>) -> Result<Option<ChunkCounts>> {
        let counts = chunk.and_then(count);
        let (chunk, events, lost) = match counts {
            Some(c) => (chunk, c.events, Some(c.lost)),
            None => (None, 0, None),
        };
        self.connection().execute(
            "INSERT INTO temp.stage_trace (chunk, events, lost) VALUES (?1, ?2, ?3)",
            params![chunk, super::int(events), lost.map(super::int)],
        )?;
        Ok(counts)
    }
}

/// One item of a stored trace, in order.
pub enum TraceItem<'a> {
    /// A chunk (decode it with one [`ChunkDecoder`] for the whole run).
    Chunk(&'a [u8]),
    /// A trace frame that failed its checks: a gap of unknown size.
    Corrupt,
}

impl History {
    /// Whether run `run_id` has a trace (a history from before traces has none).
    pub fn has_trace(&self, run_id: i64) -> Result<bool> {
        if !has_table(&self.conn)? {
            return Ok(false);
        }
        Ok(self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM trace_chunks WHERE run_id = ?1)",
            [run_id],
            |r| r.get(0),
        )?)
    }

    /// Streams run `run_id`'s trace chunks in arrival order into `each`.
    pub fn for_each_trace_chunk(
        &self,
        run_id: i64,
        mut each: impl FnMut(TraceItem<'_>) -> Result<()>,
    ) -> Result<()> {
        if !has_table(&self.conn)? {
            return Ok(());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT chunk FROM trace_chunks WHERE run_id = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([run_id])?;
        while let Some(row) = rows.next()? {
            match row.get_ref(0)?.as_blob_or_null()? {
                Some(chunk) => each(TraceItem::Chunk(chunk))?,
                None => each(TraceItem::Corrupt)?,
            }
        }
        Ok(())
    }

    /// The first `max` events of run `run_id`'s trace in order, gaps included
    /// ([`TraceDecoder`]), and how many more it has; `None` when it has no trace.
    pub fn trace_events(&self, run_id: i64, max: usize) -> Result<Option<(Vec<TraceEvent>, u64)>> {
        if !self.has_trace(run_id)? {
            return Ok(None);
        }
        let mut decoder = TraceDecoder::new();
        let mut events = Vec::new();
        let mut more = 0u64;
        self.for_each_trace_chunk(run_id, |item| {
            decoder.item(item, |e| {
                if events.len() < max {
                    events.push(e);
                } else if e.kind.is_some() {
                    more += 1;
                }
            });
            Ok(())
        })?;
        Ok(Some((events, more)))
    }

    /// The device's clock rate for run `run_id`: its session record, else its scope rows.
    pub fn ticks_per_second(&self, run_id: i64) -> Result<Option<u64>> {
        let hz: Option<i64> = self.conn.query_row(
            "SELECT COALESCE((SELECT ticks_per_second FROM runs WHERE id = ?1),
                             (SELECT ticks_per_second FROM scopes WHERE run_id = ?1 AND ticks_per_second > 0 LIMIT 1))",
            [run_id],
            |r| r.get(0),
        )?;
        Ok(hz.and_then(|v| u64::try_from(v).ok()).filter(|&v| v > 0))
    }

    /// Scope names by the registry slot a trace calls them by. The device sends its whole
    /// scope table in registration (slot) order at each report, so the k-th row of the
    /// most complete report is slot k.
    pub fn trace_scope_names(&self, run_id: i64) -> Result<BTreeMap<u32, String>> {
        let mut stmt = self.conn.prepare(
            "SELECT name FROM scopes WHERE run_id = ?1 AND timestamp_us = (
                 SELECT timestamp_us FROM scopes WHERE run_id = ?1
                 GROUP BY timestamp_us ORDER BY COUNT(*) DESC, timestamp_us DESC LIMIT 1)
             ORDER BY seq",
        )?;
        let names = stmt.query_map([run_id], |r| r.get::<_, String>(0))?;
        let mut out = BTreeMap::new();
        for (slot, name) in (0u32..).zip(names) {
            out.insert(slot, name?);
        }
        Ok(out)
    }

    /// Task and interrupt handler names by the ids a trace calls them by. The device sends
    /// its task table in slot order at each report (`Reporter::task_table`), so the k-th
    /// row of the most complete report is slot k. `IsrStats` handlers all trace as id 0:
    /// that lane takes the handler's name when the run reports exactly one handler.
    pub fn trace_track_names(&self, run_id: i64) -> Result<TrackNames> {
        let tables = super::tasks::load(&self.conn, run_id)?;
        let mut reports: BTreeMap<u64, Vec<Option<&String>>> = BTreeMap::new();
        for row in &tables.tasks {
            reports
                .entry(row.timestamp_us)
                .or_default()
                .push(row.name.as_ref());
        }
        let fullest = reports
            .values()
            .rev()
            .max_by_key(|rows| rows.len())
            .cloned()
            .unwrap_or_default();
        let tasks = (0u32..)
            .zip(fullest)
            .filter_map(|(slot, name)| Some((slot, name?.clone())))
            .collect();
        let mut handlers: Vec<&String> = tables.interrupts.iter().map(|i| &i.name).collect();
        handlers.sort();
        handlers.dedup();
        let isrs = match handlers[..] {
            [only] => BTreeMap::from([(0, only.clone())]),
            _ => BTreeMap::new(),
        };
        Ok(TrackNames { tasks, isrs })
    }
}

/// Decodes a stored trace item by item with one [`ChunkDecoder`], so that times run on
/// across chunks. A gap with `lost == 0` is a gap of unknown size: a trace frame that
/// failed its checks, or a chunk that stopped decoding part-way.
#[derive(Debug, Default)]
pub struct TraceDecoder {
    decoder: ChunkDecoder,
    last: u64,
}

impl TraceDecoder {
    /// A decoder at the start of a run's trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one stored item into `emit`.
    pub fn item(&mut self, item: TraceItem<'_>, mut emit: impl FnMut(TraceEvent)) {
        let damaged = match item {
            TraceItem::Corrupt => true,
            TraceItem::Chunk(chunk) => match self.decoder.decode(chunk) {
                Ok(events) => {
                    let mut damaged = false;
                    for event in events {
                        match event {
                            Ok(event) => {
                                self.last = event.time;
                                emit(event);
                            }
                            Err(_) => damaged = true,
                        }
                    }
                    damaged
                }
                Err(_) => true,
            },
        };
        if damaged {
            emit(TraceEvent {
                kind: None,
                id: 0,
                value: 0,
                time: self.last,
                lost: 0,
            });
        }
    }
}
