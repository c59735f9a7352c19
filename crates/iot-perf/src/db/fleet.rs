//! Heartbeats in the history (schema 2): one row per heartbeat, its scopes with their
//! latency histograms, and its task shares. A heartbeat delivered twice (MQTT QoS 1 is at
//! least once) is stored once.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use iot_performance::timing::histogram::LatencyHistogram;
use iot_performance::wire::Heartbeat;

use super::open::{explain, retry_busy};
use super::{History, int};

/// The tables schema 2 adds to schema 1 (run by every writer's open/upgrade path).
pub const FLEET_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS heartbeats (
    id INTEGER PRIMARY KEY,
    received_at_unix_ms INTEGER NOT NULL,
    device TEXT NOT NULL, firmware TEXT NOT NULL, hardware TEXT NOT NULL, device_group TEXT NOT NULL,
    sequence INTEGER NOT NULL, uptime_ms INTEGER NOT NULL, interval_ms INTEGER NOT NULL,
    reset_count INTEGER NOT NULL, reset_reason TEXT NOT NULL, ticks_per_second INTEGER NOT NULL,
    heap_peak INTEGER, stack_peak INTEGER, cpu_mean_percent REAL, cpu_max_percent REAL,
    wifi_tx_bytes INTEGER, wifi_rx_bytes INTEGER, wifi_tx_packets INTEGER, wifi_rx_packets INTEGER,
    wifi_mean_latency_us INTEGER, wifi_max_latency_us INTEGER,
    scopes_omitted INTEGER NOT NULL, messages_dropped INTEGER NOT NULL,
    UNIQUE (device, reset_count, sequence, uptime_ms)
);
CREATE TABLE IF NOT EXISTS heartbeat_scopes (
    heartbeat_id INTEGER NOT NULL REFERENCES heartbeats(id) ON DELETE CASCADE,
    name TEXT NOT NULL, calls INTEGER NOT NULL, total_ticks INTEGER NOT NULL, max_ticks INTEGER NOT NULL,
    sub_bits INTEGER NOT NULL, first_bin INTEGER NOT NULL,
    counts BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeat_tasks (
    heartbeat_id INTEGER NOT NULL REFERENCES heartbeats(id) ON DELETE CASCADE,
    name TEXT NOT NULL, busy_percent REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS heartbeats_by_time ON heartbeats(received_at_unix_ms);
CREATE INDEX IF NOT EXISTS heartbeat_scopes_by_heartbeat ON heartbeat_scopes(heartbeat_id);
CREATE INDEX IF NOT EXISTS heartbeat_tasks_by_heartbeat ON heartbeat_tasks(heartbeat_id);
";

/// Which heartbeats a query selects: every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeartbeatFilter {
    /// Firmware version.
    pub firmware: Option<String>,
    /// Hardware revision.
    pub hardware: Option<String>,
    /// Device group.
    pub group: Option<String>,
    /// One device.
    pub device: Option<String>,
    /// Received at or after, Unix ms.
    pub since_unix_ms: Option<i64>,
    /// Received before, Unix ms.
    pub until_unix_ms: Option<i64>,
}

impl HeartbeatFilter {
    /// The filter as the parameters `?1`..`?6` of the heartbeat queries, in field order
    /// (a `NULL` parameter matches every row).
    fn sql_params(&self) -> [&dyn rusqlite::ToSql; 6] {
        [
            &self.firmware,
            &self.hardware,
            &self.group,
            &self.device,
            &self.since_unix_ms,
            &self.until_unix_ms,
        ]
    }
}

/// One scope of one stored heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScope {
    /// Device id.
    pub device: String,
    /// Its firmware version.
    pub firmware: String,
    /// Its hardware revision.
    pub hardware: String,
    /// Its group.
    pub group: String,
    /// When the heartbeat was received, Unix ms.
    pub received_at_unix_ms: i64,
    /// Tick frequency of the figures.
    pub ticks_per_second: u64,
    /// Scope name.
    pub name: String,
    /// Calls in the interval.
    pub calls: u64,
    /// Their summed duration, ticks.
    pub total_ticks: u64,
    /// Their durations.
    pub histogram: LatencyHistogram,
}

/// One device's figures over the heartbeats a filter selects.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFigures {
    /// Device id.
    pub device: String,
    /// Highest heap peak, bytes.
    pub heap_peak: Option<f64>,
    /// Highest stack peak, bytes.
    pub stack_peak: Option<f64>,
    /// Mean CPU utilization, percent.
    pub cpu_mean_percent: Option<f64>,
}

/// Histogram counts as stored: little-endian `u32`s.
fn counts_blob(h: &LatencyHistogram) -> Vec<u8> {
    h.counts().iter().flat_map(|c| c.to_le_bytes()).collect()
}

/// The histogram of a stored row; `None` when the row is not one.
pub(crate) fn histogram_of(sub_bits: i64, first_bin: i64, blob: &[u8]) -> Option<LatencyHistogram> {
    if !blob.len().is_multiple_of(4) {
        return None;
    }
    let counts: Vec<u32> = blob
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    LatencyHistogram::from_parts(
        u8::try_from(sub_bits).ok()?,
        u16::try_from(first_bin).ok()?,
        &counts,
    )
}

/// Inserts one heartbeat; `false` when it was already stored (a redelivery).
fn insert(
    conn: &Connection,
    hb: &Heartbeat<'_>,
    received_at_unix_ms: i64,
) -> rusqlite::Result<bool> {
    let id = &hb.identity;
    let wifi = hb.wifi.as_ref();
    let added = conn.execute(
        "INSERT OR IGNORE INTO heartbeats (received_at_unix_ms, device, firmware, hardware, device_group,
            sequence, uptime_ms, interval_ms, reset_count, reset_reason, ticks_per_second,
            heap_peak, stack_peak, cpu_mean_percent, cpu_max_percent,
            wifi_tx_bytes, wifi_rx_bytes, wifi_tx_packets, wifi_rx_packets, wifi_mean_latency_us, wifi_max_latency_us,
            scopes_omitted, messages_dropped)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        params![
            received_at_unix_ms,
            id.device,
            id.firmware,
            id.hardware,
            id.group,
            hb.sequence,
            int(hb.uptime_ms),
            hb.interval_ms,
            hb.reset.count,
            hb.reset.reason.label(),
            int(hb.ticks_per_second),
            hb.heap_peak.map(int),
            hb.stack_peak.map(int),
            hb.cpu.map(|c| f64::from(c.mean_percent)),
            hb.cpu.map(|c| f64::from(c.max_percent)),
            wifi.map(|w| int(w.tx_bytes)),
            wifi.map(|w| int(w.rx_bytes)),
            wifi.map(|w| w.tx_packets),
            wifi.map(|w| w.rx_packets),
            wifi.and_then(|w| w.mean_latency_us),
            wifi.map(|w| w.max_latency_us),
            hb.scopes_omitted,
            hb.messages_dropped,
        ],
    )?;
    if added == 0 {
        return Ok(false);
    }
    let row = conn.last_insert_rowid();
    let mut scope = conn.prepare_cached(
        "INSERT INTO heartbeat_scopes (heartbeat_id, name, calls, total_ticks, max_ticks, sub_bits, first_bin, counts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for s in &hb.scopes {
        scope.execute(params![
            row,
            s.name,
            int(s.calls),
            int(s.total_ticks),
            int(s.max_ticks),
            s.histogram.sub_bits(),
            s.histogram.first_bin(),
            counts_blob(&s.histogram),
        ])?;
    }
    let mut task = conn.prepare_cached(
        "INSERT INTO heartbeat_tasks (heartbeat_id, name, busy_percent) VALUES (?1, ?2, ?3)",
    )?;
    for t in hb.tasks.iter().flatten() {
        task.execute(params![row, t.name, f64::from(t.busy_percent)])?;
    }
    Ok(true)
}

impl History {
    /// Stores decoded heartbeats, each with the time it was received (Unix ms), in one
    /// write transaction (one heartbeat: `store_heartbeats([(&hb, at)])`; an ingest
    /// process passes what arrived since its last write). Returns how many were new: a
    /// heartbeat already stored (same device, reset count, sequence and uptime: a QoS 1
    /// redelivery) is skipped.
    pub fn store_heartbeats<'h, 'a: 'h>(
        &mut self,
        batch: impl IntoIterator<Item = (&'h Heartbeat<'a>, i64)>,
    ) -> Result<usize> {
        Ok(self
            .store_heartbeats_each(batch)?
            .into_iter()
            .filter(|&new| new)
            .count())
    }

    /// [`Self::store_heartbeats`], saying for each heartbeat, in order, whether it was new
    /// (`false`: stored before, a redelivery) — so that an ingest forwards each heartbeat
    /// to a time-series engine once.
    pub fn store_heartbeats_each<'h, 'a: 'h>(
        &mut self,
        batch: impl IntoIterator<Item = (&'h Heartbeat<'a>, i64)>,
    ) -> Result<Vec<bool>> {
        let batch: Vec<_> = batch.into_iter().collect();
        let path = self.path.clone();
        let conn = &mut self.conn;
        retry_busy(|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut added = Vec::with_capacity(batch.len());
            for &(hb, at) in &batch {
                added.push(insert(&tx, hb, at)?);
            }
            tx.commit()?;
            Ok(added)
        })
        .map_err(|e| explain(&path, e))
    }

    /// The scope histograms of the heartbeats `filter` selects, oldest first (none from a
    /// history without the heartbeat tables).
    pub fn heartbeat_scopes(&self, filter: &HeartbeatFilter) -> Result<Vec<StoredScope>> {
        if !self.has_heartbeats_table()? {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(
            "SELECT h.device, h.firmware, h.hardware, h.device_group, h.received_at_unix_ms, h.ticks_per_second,
                    s.name, s.calls, s.total_ticks, s.sub_bits, s.first_bin, s.counts
             FROM heartbeats h JOIN heartbeat_scopes s ON s.heartbeat_id = h.id
             WHERE (?1 IS NULL OR h.firmware = ?1) AND (?2 IS NULL OR h.hardware = ?2)
               AND (?3 IS NULL OR h.device_group = ?3) AND (?4 IS NULL OR h.device = ?4)
               AND (?5 IS NULL OR h.received_at_unix_ms >= ?5) AND (?6 IS NULL OR h.received_at_unix_ms < ?6)
             ORDER BY h.received_at_unix_ms, h.id",
        )?;
        let rows = stmt.query_map(&filter.sql_params()[..], |r| {
            let blob: Vec<u8> = r.get(11)?;
            Ok((
                StoredScope {
                    device: r.get(0)?,
                    firmware: r.get(1)?,
                    hardware: r.get(2)?,
                    group: r.get(3)?,
                    received_at_unix_ms: r.get(4)?,
                    ticks_per_second: r.get::<_, i64>(5)? as u64,
                    name: r.get(6)?,
                    calls: r.get::<_, i64>(7)? as u64,
                    total_ticks: r.get::<_, i64>(8)? as u64,
                    histogram: LatencyHistogram::default(),
                },
                histogram_of(r.get(9)?, r.get(10)?, &blob),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut scope, histogram) = row?;
            scope.histogram = histogram.ok_or_else(|| {
                anyhow::anyhow!(
                    "a stored histogram of scope {:?} (device {:?}) is damaged; `iot-perf check` reports the file",
                    scope.name,
                    scope.device
                )
            })?;
            out.push(scope);
        }
        Ok(out)
    }

    /// Per device of `filter`: its highest heap and stack peak and its mean CPU over the
    /// selected heartbeats (`None` where no heartbeat measured it).
    pub fn device_figures(&self, filter: &HeartbeatFilter) -> Result<Vec<DeviceFigures>> {
        if !self.has_heartbeats_table()? {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(
            "SELECT device, MAX(heap_peak), MAX(stack_peak), AVG(cpu_mean_percent) FROM heartbeats
             WHERE (?1 IS NULL OR firmware = ?1) AND (?2 IS NULL OR hardware = ?2)
               AND (?3 IS NULL OR device_group = ?3) AND (?4 IS NULL OR device = ?4)
               AND (?5 IS NULL OR received_at_unix_ms >= ?5) AND (?6 IS NULL OR received_at_unix_ms < ?6)
             GROUP BY device ORDER BY device",
        )?;
        let rows = stmt.query_map(&filter.sql_params()[..], |r| {
            Ok(DeviceFigures {
                device: r.get(0)?,
                heap_peak: r.get::<_, Option<i64>>(1)?.map(|v| v as f64),
                stack_peak: r.get::<_, Option<i64>>(2)?.map(|v| v as f64),
                cpu_mean_percent: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Heartbeats stored (0 for a history without the heartbeat tables).
    pub fn heartbeat_count(&self) -> Result<u64> {
        if !self.has_heartbeats_table()? {
            return Ok(0);
        }
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM heartbeats", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Whether the file has the heartbeat tables (a schema-1 history read-only does not).
    pub(crate) fn has_heartbeats_table(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'heartbeats'",
                [],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use iot_performance::wire::{DeviceIdentity, ScopeHeartbeat};

    use super::*;

    #[test]
    fn a_redelivered_heartbeat_is_stored_once_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut history = History::open(&dir.path().join("h.sqlite")).unwrap();
        let mut hb = Heartbeat::new(DeviceIdentity {
            device: "d1",
            firmware: "1.2.0",
            hardware: "revA",
            group: "",
        });
        let mut h = LatencyHistogram::default();
        (0..100).for_each(|i| h.record(1000 + i));
        hb.scopes
            .push(ScopeHeartbeat::from_histogram("read", h.clone()))
            .unwrap();
        assert_eq!(history.store_heartbeats([(&hb, 5)]).unwrap(), 1);
        assert_eq!(
            history.store_heartbeats([(&hb, 6)]).unwrap(),
            0,
            "redelivery"
        );
        let mut next = hb.clone();
        next.sequence = 2;
        assert_eq!(
            history
                .store_heartbeats_each([(&hb, 7), (&next, 7)])
                .unwrap(),
            [false, true]
        );
        assert_eq!(history.heartbeat_count().unwrap(), 2);
        let (sub, first, blob): (i64, i64, Vec<u8>) = history
            .conn
            .query_row(
                "SELECT sub_bits, first_bin, counts FROM heartbeat_scopes LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        h.trim();
        assert_eq!(histogram_of(sub, first, &blob), Some(h));
        assert_eq!(histogram_of(sub, first, &blob[1..]), None);
    }
}
