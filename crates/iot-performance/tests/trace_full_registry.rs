//! A full registry under a trace ring: the scopes that did not fit are counted as
//! dropped, and their events decode as no slot (id `SCOPE_CAPACITY`), never as a
//! registered scope's; the others are traced as before.

#![allow(clippy::unwrap_used)] // test helpers fail loudly

use iot_performance::profile_block;
use iot_performance::timing::{self, ManualClock, SCOPE_CAPACITY, ScopeGuard};
use iot_performance::trace::{self, ChunkDecoder, EventKind, TraceBuffer};

static RING: TraceBuffer<256> = TraceBuffer::new();

/// The (kind, id) of the events written since the last drain.
fn drain() -> Vec<(Option<EventKind>, u32)> {
    let mut out = [0u8; 2048];
    let info = RING.drain(&mut out);
    ChunkDecoder::new()
        .decode(&out[..info.len])
        .unwrap()
        .map(|e| e.map(|e| (e.kind, e.id)))
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn scopes_that_did_not_fit_are_traced_as_no_slot() {
    ManualClock::install(1_000_000);
    assert!(trace::install(&RING));
    for i in 1..SCOPE_CAPACITY {
        let name: &'static str = Box::leak(format!("traced_{i}").into_boxed_str());
        drop(ScopeGuard::enter_named(name));
    }
    let _ = drain();

    let traced_last = || {
        let _g = profile_block!("traced_last");
        ManualClock::advance(2);
    };
    traced_last();
    let last = trace::scope_index("traced_last").unwrap() as u32;
    use EventKind::*;
    assert_eq!(drain(), [(Some(ScopeEnter), last), (Some(ScopeExit), last)]);

    // Full: a further site and a run-time name are counted as dropped and traced as no
    // slot; the registered scope inside them is traced as itself.
    let none = SCOPE_CAPACITY as u32;
    for _ in 0..2 {
        let _site = profile_block!("traced_overflow_site");
        let _named = ScopeGuard::enter_named("traced_overflow_named");
        traced_last();
    }
    assert_eq!(
        timing::dropped(),
        timing::Dropped {
            scopes: 1,
            calls: 4
        }
    );
    let round = [
        (Some(ScopeEnter), none),
        (Some(ScopeEnter), none),
        (Some(ScopeEnter), last),
        (Some(ScopeExit), last),
        (Some(ScopeExit), none),
        (Some(ScopeExit), none),
    ];
    assert_eq!(drain(), [round, round].concat());
}
