//! Why a [`super::BaselineFile`] check failed, printed as a person reads it (also through
//! `Debug`, so `.unwrap()` and a test returning `Result` show the table).

use core::fmt;
use std::path::PathBuf;

use super::file::UPDATE_ENV;
use crate::baseline::BaselineComparison;

/// A failed regression check.
pub enum RegressionError {
    /// No baseline of that name in the file (or no file).
    Missing {
        /// The baseline file.
        path: PathBuf,
        /// The baseline looked for.
        name: &'static str,
    },
    /// A metric got worse than its threshold allows.
    Regressed {
        /// The baseline file.
        path: PathBuf,
        /// Every metric compared; [`BaselineComparison::regressions`] are the failures.
        comparison: std::boxed::Box<BaselineComparison>,
    },
    /// The file could not be read or written.
    Io {
        /// The baseline file.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// Measuring, decoding (a damaged file) or encoding failed.
    Library {
        /// The baseline file.
        path: PathBuf,
        /// The library's error.
        error: crate::Error,
    },
}

impl fmt::Display for RegressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { path, name } => write!(
                f,
                "no baseline `{name}` in {}: record it with `{UPDATE_ENV}=1 cargo test` \
                 and commit the file",
                path.display()
            ),
            Self::Io { path, error } => write!(f, "baseline file {}: {error}", path.display()),
            Self::Library { path, error } => {
                write!(f, "baseline file {}: {error}", path.display())
            }
            Self::Regressed { path, comparison } => table(f, path, comparison),
        }
    }
}

impl fmt::Debug for RegressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for RegressionError {}

fn table(
    f: &mut fmt::Formatter<'_>,
    path: &std::path::Path,
    c: &BaselineComparison,
) -> fmt::Result {
    writeln!(
        f,
        "performance regression against baseline `{}` ({}):",
        c.baseline,
        path.display()
    )?;
    writeln!(
        f,
        "  {:<24} {:>12} {:>12} {:>9} {:>10}",
        "metric", "baseline", "current", "change", "threshold"
    )?;
    for d in c.deltas.iter().filter(|d| d.threshold_percent.is_some()) {
        let unit = d.metric.unit();
        let cell = |v: f64| std::format!("{}", unit.quantity(v));
        let change = d
            .change_percent
            .map_or_else(|| "-".into(), |p| std::format!("{p:+.1} %"));
        let threshold = d
            .threshold_percent
            .map_or_else(|| "-".into(), |t| std::format!("{t:.0} %"));
        writeln!(
            f,
            "  {:<24} {:>12} {:>12} {:>9} {:>10}{}",
            std::format!("{}", d.metric),
            cell(d.baseline_mean),
            cell(d.current_mean),
            change,
            threshold,
            if d.regression { "  REGRESSED" } else { "" }
        )?;
    }
    write!(
        f,
        "if the change is intended: `{UPDATE_ENV}=1 cargo test` and commit {}",
        path.display()
    )
}
