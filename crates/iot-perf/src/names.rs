//! Scope names with the `'static` lifetime the library's judgements use.
//!
//! On a device a scope's name is a string literal, so the library's [`Metric::Scope`]
//! and its insights hold `&'static str`. The host reads names from frames at run time;
//! [`static_name`] keeps one leaked copy of each distinct name for the life of the
//! process, so a name read from a capture can be judged by the same rules. The memory is
//! bounded by the number of distinct scope names the tool loads (a device has a few
//! dozen), not by the number of rows.
//!
//! [`Metric::Scope`]: iot_performance::analysis::Metric::Scope

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// The process-wide copy of `name`.
pub fn static_name(name: &str) -> &'static str {
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_kept_once() {
        let a = static_name("filter_reading");
        let b = static_name(&String::from("filter_reading"));
        assert_eq!(a, "filter_reading");
        assert!(std::ptr::eq(a, b), "the second call reuses the first copy");
        assert_ne!(static_name("publish"), a);
    }
}
