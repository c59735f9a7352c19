//! The latest state of every run at once (what `iot-perf serve` exposes): each run with
//! only its last snapshot and the last row of each scope, read in three queries however
//! many runs there are.

use std::collections::HashMap;

use anyhow::Result;

use super::{History, scope_from_row, snapshot_from_row};
use crate::model::LoadedRun;

impl History {
    /// Every run, oldest first, each with its last snapshot and the last row of each of
    /// its scopes (in name order).
    pub fn latest_states(&self) -> Result<Vec<LoadedRun>> {
        let mut runs: Vec<LoadedRun> = self
            .runs()?
            .into_iter()
            .map(|run| LoadedRun {
                run,
                snapshots: Vec::new(),
                scopes: Vec::new(),
                tasks: Default::default(),
            })
            .collect();
        let index: HashMap<i64, usize> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.run.id, i))
            .collect();
        // SQLite takes the other columns of a MAX() aggregate from the row holding the max.
        let mut stmt = self.conn.prepare(
            "SELECT timestamp_us, heap_used, heap_free, heap_total, stack_used, stack_free, static_memory,
                    fragmentation, cpu_utilization, uptime_ms, task_count, interrupt_count, context_switches, temperature,
                    run_id, MAX(seq)
             FROM snapshots GROUP BY run_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if let Some(&i) = index.get(&row.get::<_, i64>(14)?) {
                runs[i].snapshots.push(snapshot_from_row(row)?);
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT timestamp_us, name, calls, total_ticks, min_ticks, max_ticks, self_ticks, busy_ticks,
                    wall_ticks, polls, ticks_per_second, run_id, MAX(seq)
             FROM scopes GROUP BY run_id, name ORDER BY run_id, name",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if let Some(&i) = index.get(&row.get::<_, i64>(11)?) {
                runs[i].scopes.push(scope_from_row(row)?);
            }
        }
        Ok(runs)
    }
}
