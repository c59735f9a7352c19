//! Turning a run's stored rows into series and summaries, and the library's leak rule
//! over its heap.

use std::collections::BTreeMap;

use iot_performance::memory::LeakEvidence;
use iot_performance::wire::SnapshotRecord;

use crate::model::{LoadedRun, ScopeRow};

/// Per-scope summary from the last (cumulative) row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScopeSummary {
    /// Scope name.
    pub name: String,
    /// Completed calls.
    pub calls: u64,
    /// Total time, µs.
    pub total_us: f64,
    /// Mean call, µs.
    pub mean_us: Option<f64>,
    /// Shortest call, µs.
    pub min_us: f64,
    /// Longest call, µs.
    pub max_us: f64,
    /// Share of all scope time, percent.
    pub share_percent: f64,
    /// Async: busy (polling) time, µs.
    pub busy_us: Option<f64>,
    /// Async: wall time, µs.
    pub wall_us: Option<f64>,
    /// Async: polls.
    pub polls: Option<u64>,
}

/// What a run's scope rows say, per scope.
#[derive(Debug, Clone, Default)]
pub struct ScopeSeries {
    /// Mean call duration per reporting interval, `(time s, µs)`.
    pub interval_means: BTreeMap<String, Vec<(f64, f64)>>,
    /// Latest cumulative figures, most time-consuming first.
    pub summaries: Vec<ScopeSummary>,
}

/// Splits scope rows into per-interval means and final summaries.
pub fn scope_series(rows: &[ScopeRow]) -> ScopeSeries {
    let t0 = rows.iter().map(|r| r.timestamp_us).min().unwrap_or(0);
    let mut by_name: BTreeMap<&str, Vec<&ScopeRow>> = BTreeMap::new();
    for row in rows {
        by_name.entry(&row.name).or_default().push(row);
    }
    let mut series = ScopeSeries::default();
    for (name, rows) in &by_name {
        let mut points = Vec::new();
        let mut prev: Option<&ScopeRow> = None;
        for row in rows {
            let (calls, ticks) = match prev {
                // Counters only grow; a drop means the device restarted.
                Some(p) if row.calls >= p.calls && row.total_ticks >= p.total_ticks => {
                    (row.calls - p.calls, row.total_ticks - p.total_ticks)
                }
                _ => (row.calls, row.total_ticks),
            };
            if calls > 0 {
                let t = (row.timestamp_us.saturating_sub(t0)) as f64 / 1e6;
                points.push((t, row.ticks_to_us(ticks) / calls as f64));
            }
            prev = Some(row);
        }
        series.interval_means.insert((*name).to_owned(), points);
        if let Some(last) = rows.last() {
            series.summaries.push(ScopeSummary {
                name: (*name).to_owned(),
                calls: last.calls,
                total_us: last.ticks_to_us(last.total_ticks),
                mean_us: last.mean_us(),
                min_us: last.ticks_to_us(last.min_ticks),
                max_us: last.ticks_to_us(last.max_ticks),
                share_percent: 0.0,
                busy_us: last.busy_ticks.map(|t| last.ticks_to_us(t)),
                wall_us: last.wall_ticks.map(|t| last.ticks_to_us(t)),
                polls: last.polls,
            });
        }
    }
    let total: f64 = series.summaries.iter().map(|s| s.total_us).sum();
    for s in &mut series.summaries {
        s.share_percent = if total > 0.0 {
            s.total_us * 100.0 / total
        } else {
            0.0
        };
    }
    series
        .summaries
        .sort_by(|a, b| b.total_us.total_cmp(&a.total_us));
    series
}

/// `(time s, value)` of one snapshot field.
pub fn snapshot_series(
    snapshots: &[SnapshotRecord],
    field: impl Fn(&SnapshotRecord) -> f64,
) -> Vec<(f64, f64)> {
    let t0 = snapshots.first().map_or(0, |s| s.timestamp_us);
    snapshots
        .iter()
        .map(|s| (s.timestamp_us.saturating_sub(t0) as f64 / 1e6, field(s)))
        .collect()
}

/// The library's heap-floor leak rule over the run's snapshots
/// ([`LeakEvidence::of_recording`]); `None` with fewer than 8 snapshots.
pub fn leak_evidence(run: &LoadedRun) -> Option<LeakEvidence> {
    LeakEvidence::of_recording(&heap_samples(run))
}

/// The heap floors that rule fitted, one per window, as `(s since the first snapshot,
/// bytes)` like the chart series ([`LeakEvidence::floors_of_recording`]).
pub fn leak_floors(run: &LoadedRun) -> Vec<(f64, f64)> {
    let t0 = run.snapshots.first().map_or(0, |s| s.timestamp_us);
    LeakEvidence::floors_of_recording(&heap_samples(run))
        .iter()
        .map(|&(t_us, bytes)| (t_us.saturating_sub(t0) as f64 / 1e6, bytes as f64))
        .collect()
}

/// The run's `(time µs, heap used)` samples, oldest first.
fn heap_samples(run: &LoadedRun) -> Vec<(u64, usize)> {
    run.snapshots
        .iter()
        .map(|s| {
            (
                s.timestamp_us,
                usize::try_from(s.heap_used).unwrap_or(usize::MAX),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: u64, calls: u64, total_ticks: u64) -> ScopeRow {
        ScopeRow {
            timestamp_us: t,
            name: "filter".into(),
            calls,
            total_ticks,
            min_ticks: 1,
            max_ticks: 9,
            self_ticks: None,
            busy_ticks: None,
            wall_ticks: None,
            polls: None,
            ticks_per_second: 1_000_000,
        }
    }

    #[test]
    fn interval_means_come_from_counter_differences_and_survive_a_restart() {
        // Cumulative rows: 10 calls in 50 µs, then 10 more in 100 µs, then a restart.
        let rows = [row(0, 10, 50), row(100_000, 20, 150), row(200_000, 4, 40)];
        let series = scope_series(&rows);
        let points = &series.interval_means["filter"];
        assert_eq!(points, &[(0.0, 5.0), (0.1, 10.0), (0.2, 10.0)]);
        assert_eq!(series.summaries[0].calls, 4);
        assert_eq!(series.summaries[0].share_percent, 100.0);
    }
}
