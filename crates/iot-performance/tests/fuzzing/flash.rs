//! Target: the flash store (`baseline::flash`) on erased or garbage flash, with random
//! operations and an optional power cut.

use std::collections::HashMap;

use arbtest::arbitrary::{Result, Unstructured};
use iot_performance::baseline::flash::{FlashBaselineStore, FlashHistory};
use iot_performance::baseline::{PerformanceBaseline, name};
use iot_performance::{MetricStats, RunningStats};

use crate::support::sim_flash::{PAGE, PAGES, SimFlash};

const NAMES: [&str; 3] = ["startup", "steady_state", "wifi_burst"];
const RANGE: core::ops::Range<u32> = 0..(PAGE * PAGES) as u32;

fn baseline(u: &mut Unstructured<'_>, n: &str) -> Result<PerformanceBaseline> {
    let mut stats = MetricStats::default();
    for _ in 0..u.int_in_range(0..=5)? {
        stats.heap_used.push(f64::from(u.arbitrary::<u32>()?));
        stats
            .cpu_utilization
            .push(f64::from(u.int_in_range(0..=100u8)?));
    }
    let mut b = PerformanceBaseline {
        name: name(n).expect("valid name"),
        recorded_at_us: u.arbitrary()?,
        duration_ms: u.arbitrary()?,
        sample_count: u.arbitrary()?,
        stats,
        scopes: heapless::Vec::new(),
        scopes_dropped: u.arbitrary()?,
    };
    if u.arbitrary()? {
        let mut t = RunningStats::new();
        t.push(f64::from(u.arbitrary::<u16>()?));
        b.set_scope("sensor_reading", t)
            .expect("room for one scope");
    }
    Ok(b)
}

/// Stores, loads and clears in random order. On erased flash every load returns what the
/// model says; after a power cut, what was committed or was in flight; on garbage flash
/// nothing panics and whatever loads is a valid baseline of the asked name.
pub async fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let mut flash = SimFlash::new(u.arbitrary()?);
    let mut trusted = !u.ratio(1, 3)?;
    if !trusted {
        for _ in 0..u.int_in_range(1..=8)? {
            let at = u.int_in_range(0..=flash.mem.len() - 1)?;
            let junk: Vec<u8> = u.arbitrary()?;
            let end = (at + junk.len()).min(flash.mem.len());
            flash.mem[at..end].copy_from_slice(&junk[..end - at]);
        }
    }
    let cut = if u.ratio(1, 3)? {
        Some(u.int_in_range(1..=600)?)
    } else {
        None
    };
    flash.reboot(cut);
    let mut model: HashMap<&str, PerformanceBaseline> = HashMap::new();
    let mut in_flight = None;
    // A cut inside `clear` may leave any of the committed baselines erased.
    let mut clear_cut = false;
    let mut store = FlashBaselineStore::new(flash, RANGE).expect("range is page-aligned");
    for _ in 0..u.int_in_range(1..=20)? {
        let n = *u.choose(&NAMES)?;
        match u.int_in_range(0..=3)? {
            0 | 1 => {
                let b = baseline(u, n)?;
                match store.store(&b).await {
                    Ok(()) => drop(model.insert(n, b)),
                    Err(_) if cut.is_some() => {
                        in_flight = Some(b);
                        break;
                    }
                    Err(e) => assert!(!trusted, "store on erased flash failed: {e}"),
                }
            }
            2 => {
                let got = store.load(n).await;
                if trusted {
                    assert_eq!(got.expect("load"), model.get(n).cloned(), "{n}");
                } else if let Ok(Some(b)) = got {
                    assert_eq!(b.name.as_str(), n);
                }
            }
            _ => match store.clear().await {
                Ok(()) => {
                    model.clear();
                    trusted = true;
                }
                Err(_) if cut.is_some() => {
                    clear_cut = true;
                    break;
                }
                Err(e) => panic!("clear failed: {e}"),
            },
        }
    }
    let mut flash = store.into_inner();
    flash.reboot(None);
    let mut store = FlashBaselineStore::new(flash, RANGE).expect("range is page-aligned");
    for n in NAMES {
        let got = store.load(n).await;
        if !trusted {
            continue;
        }
        let got = got.unwrap_or_else(|e| panic!("{n} after reset: {e}"));
        let ok = got == model.get(n).cloned()
            || (clear_cut && got.is_none())
            || (got.is_some() && got == in_flight.clone().filter(|b| b.name.as_str() == n));
        assert!(ok, "{n} after reset: {got:?}, committed {:?}", model.get(n));
    }
    // The same bytes read as a history ring: anything but a panic.
    let mut history = FlashHistory::new(store.into_inner(), RANGE).expect("range");
    let _ = history.for_each(|_| {}).await;
    Ok(())
}
