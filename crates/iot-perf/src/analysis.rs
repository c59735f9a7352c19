//! Turning a run's stored rows into series and summaries.

use std::collections::BTreeMap;

use iot_performance::analysis::least_squares;
use iot_performance::wire::SnapshotRecord;

use crate::model::ScopeRow;

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

/// Least-squares slope of `points` (units of y per unit of x), `None` under 3 points or
/// when every x is the same.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    least_squares::fit(points.iter().copied()).map(|fit| fit.slope)
}

/// A suspected leak: the heap's floor (minimum per quarter of the run) rises every quarter.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeakSuspicion {
    /// Growth of the heap, bytes per second (least squares over the run).
    pub bytes_per_second: f64,
    /// Heap floor in each quarter of the run, bytes.
    pub floors: [f64; 4],
}

/// Checks a heap series for a steadily rising floor of at least `min_rate` bytes/s.
pub fn leak_suspicion(heap: &[(f64, f64)], min_rate: f64) -> Option<LeakSuspicion> {
    if heap.len() < 8 {
        return None;
    }
    let quarter = heap.len() / 4;
    let mut floors = [0.0; 4];
    for (i, floor) in floors.iter_mut().enumerate() {
        let end = if i == 3 {
            heap.len()
        } else {
            (i + 1) * quarter
        };
        *floor = heap[i * quarter..end]
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min);
    }
    let rising = floors.windows(2).all(|w| w[1] > w[0]);
    let rate = slope(heap)?;
    (rising && rate >= min_rate).then_some(LeakSuspicion {
        bytes_per_second: rate,
        floors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_and_leak() {
        let flat: Vec<(f64, f64)> = (0..20).map(|i| (f64::from(i), 100.0)).collect();
        assert_eq!(slope(&flat), Some(0.0));
        assert!(leak_suspicion(&flat, 1.0).is_none());
        let leak: Vec<(f64, f64)> = (0..20)
            .map(|i| {
                (
                    f64::from(i),
                    1000.0 + 50.0 * f64::from(i) + f64::from(i % 3) * 10.0,
                )
            })
            .collect();
        let s = leak_suspicion(&leak, 10.0).expect("leak seen");
        assert!((s.bytes_per_second - 50.0).abs() < 2.0);
    }
}
