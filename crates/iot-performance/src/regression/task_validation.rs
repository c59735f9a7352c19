//! [`PerformanceMonitor::validate_task_performance`]: is this task or scope still as fast
//! as its baseline?

use core::fmt;

use super::state::with_checks;
use crate::analysis::{Metric, Unit};
use crate::monitor::HandleBound;
use crate::ticks_to_us;
use crate::{PerformanceMonitor, PlatformMetrics, RunningStats, timing};

/// Tasks and scopes whose validation state a monitor keeps.
pub const TASK_CHECK_CAPACITY: usize = 4;

/// Totals of one scope at its previous validation, and the baseline learned so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskCheck {
    name: &'static str,
    calls: u64,
    ticks: u64,
    learned: RunningStats,
}

/// What [`PerformanceMonitor::validate_task_performance`] concluded.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TaskVerdict {
    /// No scope of that name has run (or the profiler is off).
    UnknownScope,
    /// The monitor already tracks [`TASK_CHECK_CAPACITY`] other tasks.
    NotTracked,
    /// No call completed since the previous validation.
    NoNewCalls,
    /// No baseline yet: this interval was added to the one being learned.
    LearningBaseline {
        /// Mean call duration (busy time for `async fn`s) since the previous validation, µs.
        current_us: f64,
    },
    /// Within threshold of the baseline.
    WithinBaseline {
        /// Baseline mean, µs.
        baseline_us: f64,
        /// Mean since the previous validation, µs.
        current_us: f64,
    },
    /// Slower than the baseline by more than the timing threshold and floor.
    Regressed {
        /// Baseline mean, µs.
        baseline_us: f64,
        /// Mean since the previous validation, µs.
        current_us: f64,
    },
}

/// The verdict for one task or scope.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TaskValidation<'a> {
    /// The task or scope.
    pub name: &'a str,
    /// The verdict.
    pub verdict: TaskVerdict,
}

impl TaskValidation<'_> {
    /// True for [`TaskVerdict::Regressed`].
    pub fn is_regression(&self) -> bool {
        matches!(self.verdict, TaskVerdict::Regressed { .. })
    }
}

impl fmt::Display for TaskValidation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |v| Unit::Micros.quantity(v);
        write!(f, "{}: ", self.name)?;
        match self.verdict {
            TaskVerdict::UnknownScope => f.write_str("no such scope has run"),
            TaskVerdict::NotTracked => f.write_str("not tracked (task table full)"),
            TaskVerdict::NoNewCalls => f.write_str("no call since the last check"),
            TaskVerdict::LearningBaseline { current_us } => {
                write!(f, "{} per call, learning the baseline", us(current_us))
            }
            TaskVerdict::WithinBaseline {
                baseline_us,
                current_us,
            }
            | TaskVerdict::Regressed {
                baseline_us,
                current_us,
            } => {
                let pct =
                    (current_us - baseline_us) / baseline_us.abs().max(f64::MIN_POSITIVE) * 100.0;
                let verdict = if self.is_regression() {
                    "REGRESSED"
                } else {
                    "within baseline"
                };
                write!(
                    f,
                    "{} per call, baseline {} ({pct:+.1} %): {verdict}",
                    us(current_us),
                    us(baseline_us)
                )
            }
        }
    }
}

/// Calls (polls of a task) and busy ticks of the task or scope called `name`.
struct Totals {
    name: &'static str,
    calls: u64,
    ticks: u64,
}

/// The Embassy task of that name (busy time per poll, from the executor's trace hooks),
/// else the scope of that name (busy time for `async fn`s, else total time, per call).
fn totals(name: &str) -> Option<Totals> {
    #[cfg(feature = "embassy")]
    if let Some(task) = timing::embassy::task_by_name(name)
        && let Some(task_name) = task.name
    {
        return Some(Totals {
            name: task_name,
            calls: u64::from(task.polls),
            ticks: task.busy_ticks,
        });
    }
    timing::scope(name).map(|s| Totals {
        name: s.name,
        calls: s.calls,
        ticks: s.busy_ticks.unwrap_or(s.total_ticks),
    })
}

impl<P: PlatformMetrics + HandleBound> PerformanceMonitor<P> {
    /// Checks the timing of task or scope `name` since the previous call against its
    /// baseline. With the `embassy` feature, an Embassy task of that name (the name its
    /// `#[embassy_executor::task]` function has) is judged by its busy time per poll;
    /// otherwise a profiled scope of that name by its time per call. Judged against its
    /// baseline: the one set with [`PerformanceMonitor::set_regression_baseline`] or
    /// [`PerformanceMonitor::use_baseline`], the one learned by
    /// [`PerformanceMonitor::check_regression`], or else one learned from the first
    /// `baseline_windows` validations. Slower by more than `timing_threshold_percent`
    /// and the timing floor is [`TaskVerdict::Regressed`].
    pub async fn validate_task_performance<'a>(&self, name: &'a str) -> TaskValidation<'a> {
        let verdict = match totals(name) {
            None => TaskVerdict::UnknownScope,
            Some(stats) => {
                let ticks = stats.ticks;
                let hz = timing::ticks_per_second();
                with_checks(self, |s| {
                    let i = match s.task_checks.iter().position(|c| c.name == stats.name) {
                        Some(i) => i,
                        None => {
                            let fresh = TaskCheck {
                                name: stats.name,
                                calls: 0,
                                ticks: 0,
                                learned: RunningStats::new(),
                            };
                            if s.task_checks.push(fresh).is_err() {
                                return TaskVerdict::NotTracked;
                            }
                            s.task_checks.len() - 1
                        }
                    };
                    let options = s.regression.options();
                    let config = s.regression.config();
                    let given = s.regression.baseline(Metric::Scope(stats.name));
                    let Some(check) = s.task_checks.get_mut(i) else {
                        return TaskVerdict::NotTracked;
                    };
                    let calls = stats.calls.saturating_sub(check.calls);
                    let dt = ticks.saturating_sub(check.ticks);
                    (check.calls, check.ticks) = (stats.calls, ticks);
                    if calls == 0 {
                        return TaskVerdict::NoNewCalls;
                    }
                    let current_us = ticks_to_us(dt, hz) as f64 / calls as f64;
                    let learned = (check.learned.count() >= u64::from(options.baseline_windows))
                        .then_some(check.learned);
                    let Some(baseline_us) = given.or(learned).and_then(|b| b.mean()) else {
                        check.learned.push(current_us);
                        return TaskVerdict::LearningBaseline { current_us };
                    };
                    let increase = current_us - baseline_us;
                    let threshold = f64::from(config.timing_threshold_percent);
                    let over = increase > options.timing_floor_us
                        && (baseline_us <= 0.0 || increase / baseline_us * 100.0 > threshold);
                    if over {
                        TaskVerdict::Regressed {
                            baseline_us,
                            current_us,
                        }
                    } else {
                        TaskVerdict::WithinBaseline {
                            baseline_us,
                            current_us,
                        }
                    }
                })
                .unwrap_or(TaskVerdict::NotTracked)
            }
        };
        TaskValidation { name, verdict }
    }
}
