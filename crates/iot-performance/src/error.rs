//! The crate's one error type.

use core::fmt;

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong in `iot-performance`.
///
/// Errors say what went wrong and where; none of them is ever returned from the
/// instrumentation hot path, which counts problems instead of failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of its allowed range.
    InvalidConfig {
        /// The offending field, e.g. `"sampling_interval_ms"`.
        field: &'static str,
        /// Why the value was refused, e.g. `"must be between 1 and 3600000"`.
        reason: &'static str,
    },
    /// The platform cannot measure this metric (e.g. temperature on a chip without a sensor).
    Unsupported {
        /// What was asked for.
        metric: &'static str,
    },
    /// The platform backend failed to read a metric it normally can.
    Provider {
        /// What failed, e.g. `"reading process statistics"`.
        what: &'static str,
    },
    /// A fixed-capacity table or buffer is full; the item was not stored.
    CapacityExceeded {
        /// Which table, e.g. `"metrics collection"`.
        what: &'static str,
        /// Its capacity.
        capacity: usize,
    },
    /// A name (baseline, scope, task) is not known.
    NotFound {
        /// What kind of thing was looked up.
        what: &'static str,
    },
    /// Stored or received data is truncated, corrupt or of an unknown version; nothing of it
    /// was used.
    InvalidData {
        /// What was being read, e.g. `"baseline frame"`.
        what: &'static str,
        /// What is wrong with it, e.g. `"checksum mismatch"`.
        reason: &'static str,
    },
    /// Persistent storage (flash) failed or is full.
    Storage {
        /// What failed, e.g. `"flash is full"`.
        what: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig { field, reason } => {
                write!(f, "invalid configuration: `{field}` {reason}")
            }
            Error::Unsupported { metric } => {
                write!(f, "this platform cannot measure {metric}")
            }
            Error::Provider { what } => write!(f, "platform backend failed: {what}"),
            Error::CapacityExceeded { what, capacity } => {
                write!(f, "{what} is full ({capacity} entries)")
            }
            Error::NotFound { what } => write!(f, "{what} not found"),
            Error::InvalidData { what, reason } => write!(f, "invalid {what}: {reason}"),
            Error::Storage { what } => write!(f, "storage failed: {what}"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn messages_name_the_problem() {
        let e = Error::InvalidConfig {
            field: "sampling_interval_ms",
            reason: "must be at least 1",
        };
        assert_eq!(
            e.to_string(),
            "invalid configuration: `sampling_interval_ms` must be at least 1"
        );
        assert_eq!(
            Error::CapacityExceeded {
                what: "metrics collection",
                capacity: 64
            }
            .to_string(),
            "metrics collection is full (64 entries)"
        );
    }
}
