//! The trace hooks in the instrumentation: scopes, interrupts, markers, values, filters
//! and the global trigger, with exact times from a `ManualClock`.

#![allow(clippy::unwrap_used)] // test helpers fail loudly

use iot_performance::interrupts::IsrGuard;
use iot_performance::profile_block;
use iot_performance::timing::{self, ManualClock};
use iot_performance::trace::{self, ChunkDecoder, EventKind, TraceBuffer, TraceEvent};

static RING: TraceBuffer<256> = TraceBuffer::new();

fn drain() -> Vec<TraceEvent> {
    let mut out = [0u8; 2048];
    let info = RING.drain(&mut out);
    ChunkDecoder::new()
        .decode(&out[..info.len])
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn kinds(events: &[TraceEvent]) -> Vec<(Option<EventKind>, u32, u64)> {
    events.iter().map(|e| (e.kind, e.id, e.time)).collect()
}

// One test: the ring, the clock and the filters are process-wide.
#[test]
fn instrumentation_records_into_the_installed_ring() {
    ManualClock::install(1_000_000);
    ManualClock::set(10_000);
    assert!(trace::install(&RING));
    assert!(!trace::install(&RING), "the first ring stays");

    {
        let _outer = profile_block!("trace_outer");
        ManualClock::advance(5);
        {
            let _inner = profile_block!("trace_inner");
            ManualClock::advance(7);
        }
        ManualClock::advance(1);
    }
    let outer = trace::scope_index("trace_outer").unwrap() as u32;
    let inner = trace::scope_index("trace_inner").unwrap() as u32;
    use EventKind::*;
    assert_eq!(
        kinds(&drain()),
        [
            (Some(ScopeEnter), outer, 10_000),
            (Some(ScopeEnter), inner, 10_005),
            (Some(ScopeExit), inner, 10_012),
            (Some(ScopeExit), outer, 10_013),
        ]
    );

    {
        let _isr = IsrGuard::enter();
        ManualClock::advance(3);
        trace::value(2, -7);
        trace::marker(9);
    }
    let events = drain();
    assert_eq!(
        kinds(&events),
        [
            (Some(IsrEnter), 0, 10_013),
            (Some(Value), 2, 10_016),
            (Some(Marker), 9, 10_016),
            (Some(IsrExit), 0, 10_016),
        ]
    );
    assert_eq!(events[1].value, -7);

    // Filters: a scope off, then a kind off; the ring sees nothing of them.
    assert!(trace::set_scope_enabled(inner as usize, false));
    trace::set_kind_enabled(Marker, false);
    {
        let _outer = profile_block!("trace_outer");
        let _inner = profile_block!("trace_inner");
        trace::marker(1);
    }
    let ids: Vec<_> = drain().iter().map(|e| (e.kind, e.id)).collect();
    assert_eq!(ids, [(Some(ScopeEnter), outer), (Some(ScopeExit), outer)]);
    trace::reset_filters();

    // Profiling off: no scope events either.
    timing::set_enabled(false);
    {
        let _outer = profile_block!("trace_outer");
    }
    timing::set_enabled(true);
    assert!(drain().is_empty());

    // The global trigger freezes the installed ring.
    trace::marker(1);
    trace::trigger();
    trace::marker(2);
    let mut out = [0u8; 64];
    let info = RING.dump(0, &mut out);
    let last = ChunkDecoder::new()
        .decode(&out[..info.len])
        .unwrap()
        .last()
        .unwrap()
        .unwrap();
    assert_eq!((last.kind, last.id), (Some(Marker), 1));
    assert!(RING.is_triggered());
}
