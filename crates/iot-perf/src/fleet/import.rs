//! Heartbeat frames from files into the history.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{Context, Result};
use iot_performance::wire::{Heartbeat, decode_heartbeat};

use crate::db::History;
use crate::frames::{FrameReader, Item};

/// What an import found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Heartbeats stored.
    pub stored: usize,
    /// Heartbeats already in the history (redelivered).
    pub duplicates: usize,
    /// Frames that were not heartbeats or did not decode.
    pub rejected: usize,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fleet import: {} heartbeats stored, {} already stored, {} frames rejected",
            self.stored, self.duplicates, self.rejected
        )
    }
}

/// Reads every frame of `files` ([`FrameReader`]: noise between frames is skipped) and
/// stores the heartbeats in one write transaction, stamped with the time of the import;
/// every other frame (records, trace chunks, corrupt frames) is counted as rejected.
pub fn import_files(history: &mut History, files: &[PathBuf]) -> Result<ImportSummary> {
    let mut frames = Vec::new();
    let mut rejected = 0;
    for path in files {
        let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
        for item in FrameReader::new(BufReader::new(file)) {
            match item {
                Item::Heartbeat(frame) => frames.push(frame),
                Item::Record(_) | Item::Trace(_) | Item::Corrupt { .. } => rejected += 1,
            }
        }
    }
    let mut summary = store_frames(history, frames)?;
    summary.rejected += rejected;
    Ok(summary)
}

/// Stores heartbeat frames (encoded, without their delimiter: what [`Item::Heartbeat`]
/// holds) in one write transaction, stamped with the time of the call: the one store path
/// of `fleet import` and `record`. A frame that does not decode is counted as rejected, one
/// already stored (same device, reset count, sequence and uptime) as a duplicate.
pub fn store_frames(history: &mut History, mut frames: Vec<Vec<u8>>) -> Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let count = frames.len();
    let decoded: Vec<Heartbeat<'_>> = frames
        .iter_mut()
        .filter_map(|frame| decode_heartbeat(frame).ok())
        .collect();
    summary.rejected = count - decoded.len();
    if decoded.is_empty() {
        return Ok(summary);
    }
    let now = crate::db::now_ms();
    summary.stored = history.store_heartbeats(decoded.iter().map(|hb| (hb, now)))?;
    summary.duplicates = decoded.len() - summary.stored;
    Ok(summary)
}
