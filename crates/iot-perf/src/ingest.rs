//! Recording: frames from any byte source into a new run of the history.

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::db::History;
use crate::frames::{CorruptFrame, FrameReader, Item};
use crate::model::OwnedRecord;

/// Records are committed at least this often, so an interrupted capture keeps its data.
const COMMIT_EVERY: Duration = Duration::from_millis(500);
const COMMIT_BATCH: usize = 512;
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
    /// Other records (session, drop reports).
    pub other: u64,
    /// Frames skipped as corrupt.
    pub corrupt: u64,
}

/// Reads `input` to its end, storing valid records in a new run called `run_name`.
///
/// The run is created with the first valid record, so garbage input leaves the history as
/// it was. Corrupt frames are counted, reported through `warn` (the first ten one by one)
/// and skipped. Fails only when nothing valid arrived, or on a database error.
pub fn ingest(
    history: &mut History,
    run_name: &str,
    source: &str,
    input: impl Read,
    mut warn: impl FnMut(&str),
) -> Result<IngestSummary> {
    let mut summary = IngestSummary::default();
    let mut run_id = None;
    let mut batch: Vec<OwnedRecord> = Vec::new();
    let mut seq = 0i64;
    let mut last_commit = Instant::now();
    for item in FrameReader::new(input) {
        match item {
            Item::Record(record) => {
                match &record {
                    OwnedRecord::Snapshot(_) => summary.snapshots += 1,
                    OwnedRecord::Scope(_) => summary.scopes += 1,
                    _ => summary.other += 1,
                }
                batch.push(record);
            }
            Item::Corrupt { offset, error } => {
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
        if !batch.is_empty()
            && (batch.len() >= COMMIT_BATCH || last_commit.elapsed() >= COMMIT_EVERY)
        {
            let id = match run_id {
                Some(id) => id,
                None => *run_id.insert(history.create_run(run_name, source)?),
            };
            history.store_batch(id, &batch, summary.corrupt, &mut seq)?;
            batch.clear();
            last_commit = Instant::now();
        }
    }
    if !batch.is_empty() || run_id.is_some() {
        let id = match run_id {
            Some(id) => id,
            None => history.create_run(run_name, source)?,
        };
        history.store_batch(id, &batch, summary.corrupt, &mut seq)?;
        summary.run = run_name.to_owned();
    }
    if summary.run.is_empty() {
        if summary.corrupt > 0 {
            bail!(
                "no valid iot-performance frames in {source} ({} corrupt frames skipped); nothing was stored",
                summary.corrupt
            );
        }
        bail!("{source} contained no iot-performance frames; nothing was stored");
    }
    Ok(summary)
}
