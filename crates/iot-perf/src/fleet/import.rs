//! Heartbeat frames from files into the history.

use std::fmt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use iot_performance::wire::{Heartbeat, decode_heartbeat};

use crate::db::History;

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

/// Decodes every 0x00-delimited frame of `files` and stores the heartbeats in one write
/// transaction, stamped with the time of the import.
pub fn import_files(history: &mut History, files: &[PathBuf]) -> Result<ImportSummary> {
    let mut buffers = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        buffers.extend(
            bytes
                .split(|&b| b == 0)
                .filter(|f| !f.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    let mut summary = ImportSummary::default();
    let frames = buffers.len();
    let decoded: Vec<Heartbeat<'_>> = buffers
        .iter_mut()
        .filter_map(|frame| decode_heartbeat(frame).ok())
        .collect();
    summary.rejected = frames - decoded.len();
    let now = crate::db::now_ms();
    summary.stored = history.store_heartbeats(decoded.iter().map(|hb| (hb, now)))?;
    summary.duplicates = decoded.len() - summary.stored;
    Ok(summary)
}
