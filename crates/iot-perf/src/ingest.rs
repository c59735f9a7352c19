//! Recording: frames from any byte source into a new run of the history.

use std::io::Read;

use anyhow::{Result, bail};

use crate::db::{History, Recording, RunName};
use crate::frames::{CorruptFrame, FrameReader, Item};
use crate::model::OwnedRecord;

/// Records are staged in batches of this many (the run reaches the history in one
/// transaction at the end).
const STAGE_BATCH: usize = 512;
/// Corrupt frames reported one by one before only counting.
const REPORTED_CORRUPT: u64 = 10;

/// What an ingest stored.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IngestSummary {
    /// Run name (empty if nothing valid arrived and no run was created).
    pub run: String,
    /// Snapshots stored.
    pub snapshots: u64,
    /// Scope rows stored.
    pub scopes: u64,
    /// Task rows stored.
    pub tasks: u64,
    /// Interrupt handler rows stored.
    pub interrupts: u64,
    /// Other records (session, drop reports).
    pub other: u64,
    /// Frames skipped as corrupt.
    pub corrupt: u64,
    /// Trace events stored.
    pub trace_events: u64,
    /// Trace events lost on the way (reported by the device, or in a trace frame that
    /// failed its checks: those count as gaps of unknown size, in `trace_gaps`).
    pub trace_lost: u64,
    /// Gaps in the trace: device-reported losses and damaged trace frames.
    pub trace_gaps: u64,
    /// Heartbeat frames stored in the history's heartbeat tables (as `fleet import` does).
    pub heartbeats: u64,
    /// Heartbeat frames already in the history, not stored again.
    pub duplicate_heartbeats: u64,
}

/// Reads `input` to its end, storing valid records in a new run called `run_name`.
///
/// Heartbeat frames on the same link go to the history's heartbeat tables after the run
/// ([`crate::fleet::store_frames`], the store path of `fleet import`); a capture of
/// heartbeats only stores them and records no run (`run` is then empty).
///
/// The run is stored in one transaction when the input ends, so garbage input, a
/// database error or a killed process leave the history as it was (and a retry with the
/// same name works). Corrupt frames are counted, reported through `warn` (the first ten
/// one by one) and skipped. Fails only when nothing valid arrived, or on a database error.
pub fn ingest(
    history: &mut History,
    run_name: impl Into<RunName>,
    source: &str,
    input: impl Read,
    mut warn: impl FnMut(&str),
) -> Result<IngestSummary> {
    let mut summary = IngestSummary::default();
    let mut recording = history.begin_record(run_name.into(), source)?;
    let mut batch: Vec<OwnedRecord> = Vec::new();
    let mut valid = false;
    let mut heartbeats = Vec::new();
    for item in FrameReader::new(input) {
        match item {
            Item::Record(record) => {
                match &record {
                    OwnedRecord::Snapshot(_) => summary.snapshots += 1,
                    OwnedRecord::Scope(_) => summary.scopes += 1,
                    OwnedRecord::Task(_) => summary.tasks += 1,
                    OwnedRecord::Interrupt(_) => summary.interrupts += 1,
                    _ => summary.other += 1,
                }
                batch.push(record);
            }
            Item::Trace(chunk) => {
                flush(&mut recording, &mut batch, &mut valid)?;
                match recording.push_trace(Some(&chunk))? {
                    Some(counts) => {
                        summary.trace_events += counts.events;
                        summary.trace_lost += counts.lost;
                        summary.trace_gaps += u64::from(counts.lost > 0);
                    }
                    None => summary.trace_gaps += 1,
                }
                valid = true;
            }
            Item::Heartbeat(frame) => heartbeats.push(frame),
            Item::Corrupt {
                offset,
                error,
                trace,
            } => {
                if trace {
                    flush(&mut recording, &mut batch, &mut valid)?;
                    recording.push_trace(None)?;
                    summary.trace_gaps += 1;
                }
                summary.corrupt += 1;
                if summary.corrupt <= REPORTED_CORRUPT {
                    warn(&format!("skipped corrupt frame at byte {offset}: {error}"));
                } else if summary.corrupt == REPORTED_CORRUPT + 1 {
                    warn("more corrupt frames: counting them silently");
                }
                if matches!(error, CorruptFrame::TruncatedAtEnd(_)) {
                    warn("the capture ended in the middle of a frame (cut off?)");
                }
            }
        }
        if batch.len() >= STAGE_BATCH {
            flush(&mut recording, &mut batch, &mut valid)?;
        }
    }
    flush(&mut recording, &mut batch, &mut valid)?;
    if !valid && !heartbeats.is_empty() {
        drop(recording);
        store_heartbeats(history, heartbeats, &mut summary)?;
        return Ok(summary);
    }
    if !valid {
        if summary.corrupt > 0 {
            bail!(
                "no valid iot-performance frames in {source} ({} corrupt frames skipped); nothing was stored",
                summary.corrupt
            );
        }
        bail!("{source} contained no iot-performance frames; nothing was stored");
    }
    summary.run = recording.finish(summary.corrupt)?;
    store_heartbeats(history, heartbeats, &mut summary)?;
    Ok(summary)
}

/// Stores the heartbeat frames of a capture and counts them.
fn store_heartbeats(
    history: &mut History,
    frames: Vec<Vec<u8>>,
    summary: &mut IngestSummary,
) -> Result<()> {
    let stored = crate::fleet::store_frames(history, frames)?;
    summary.heartbeats += stored.stored as u64;
    summary.duplicate_heartbeats += stored.duplicates as u64;
    // Frames passed every check in the reader; one that still fails is corrupt.
    summary.corrupt += stored.rejected as u64;
    Ok(())
}

/// Stages the records batched so far.
fn flush(
    recording: &mut Recording<'_>,
    batch: &mut Vec<OwnedRecord>,
    valid: &mut bool,
) -> Result<()> {
    if !batch.is_empty() {
        recording.push(batch)?;
        *valid = true;
        batch.clear();
    }
    Ok(())
}
