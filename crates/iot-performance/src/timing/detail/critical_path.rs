//! The critical path of a root scope: from the root, repeatedly the nested scope that took
//! the most time under the previous one, e.g. `handle_message > parse > crc16`.

use core::fmt;

use super::edges;
use super::nesting::MAX_DEPTH;
use crate::timing::{registry, scope_stats};
use crate::{Error, Result};

/// One scope on a [`CriticalPath`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PathStep {
    /// The scope.
    pub name: &'static str,
    /// Ticks it took while nested directly in the previous step.
    pub ticks: u64,
    /// `ticks` as a share of the root's time, 0.0–1.0.
    pub share_of_root: f32,
    /// `ticks` as a share of the previous step's time, 0.0–1.0.
    pub share_of_parent: f32,
}

/// The chain of nested scopes that accounts for most of a root scope's time.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CriticalPath {
    /// The root scope.
    pub root: &'static str,
    /// The root's time: total ticks, or busy ticks for an `async fn` (nested time is
    /// only seen while it is polled).
    pub root_ticks: u64,
    /// The nested scopes, outermost first (empty when nothing ran nested in the root).
    pub steps: heapless::Vec<PathStep, MAX_DEPTH>,
}

fn share(part: u64, whole: u64) -> f32 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64) as f32
    }
}

/// The critical path under scope `root`.
///
/// # Errors
/// [`Error::NotFound`] when no scope of that name has run.
pub fn critical_path(root: &str) -> Result<CriticalPath> {
    let not_found = Error::NotFound { what: "scope" };
    let root_index = registry::find(root).ok_or(not_found)?;
    let root_stats = scope_stats::stats_at(root_index).ok_or(not_found)?;
    let root_ticks = root_stats.busy_ticks.unwrap_or(root_stats.total_ticks);

    let mut path = CriticalPath {
        root: root_stats.name,
        root_ticks,
        steps: heapless::Vec::new(),
    };
    let mut visited: heapless::Vec<usize, { MAX_DEPTH + 1 }> = heapless::Vec::new();
    let _ = visited.push(root_index);
    let (mut current, mut current_ticks) = (root_index, root_ticks);
    while !path.steps.is_full() {
        let heaviest = edges::all()
            .filter(|&(parent, child, ticks)| {
                parent == current && ticks > 0 && !visited.contains(&child)
            })
            .max_by_key(|&(_, child, ticks)| (ticks, core::cmp::Reverse(child)));
        let Some((_, child, ticks)) = heaviest else {
            break;
        };
        let Some((name, _)) = registry::entry(child) else {
            break;
        };
        let _ = path.steps.push(PathStep {
            name,
            ticks,
            share_of_root: share(ticks, root_ticks),
            share_of_parent: share(ticks, current_ticks),
        });
        let _ = visited.push(child);
        (current, current_ticks) = (child, ticks);
    }
    Ok(path)
}

/// `root > child (62.5%) > grandchild (25.0%)`, shares of the root's time.
impl fmt::Display for CriticalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root)?;
        for step in &self.steps {
            write!(f, " > {} ({:.1}%)", step.name, step.share_of_root * 100.0)?;
        }
        Ok(())
    }
}
