#![allow(clippy::unwrap_used)] // test helpers fail loudly

use super::*;
use crate::wire::SimulatedDevice;

/// `n` devices of `firmware`: `read_sensor` around 1 ms (σ 0.25 within a device, devices
/// ±5 % apart), `publish` around 4 ms; `slow_every`-th device's `read_sensor` is `factor`
/// slower. Returns each device's merged histogram of each scope over `beats` heartbeats.
fn fleet(
    n: u64,
    firmware: &str,
    seed: u64,
    slow_every: Option<u64>,
    factor: f64,
    beats: usize,
) -> (Vec<MergedHistogram>, Vec<MergedHistogram>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut read = Vec::new();
    let mut publish = Vec::new();
    for d in 0..n {
        let device_scale = 0.95 + 0.1 * rng.f64();
        let slow = slow_every.is_some_and(|k| d % k == 0);
        let read_median = 1_000.0 * device_scale * if slow { factor } else { 1.0 };
        let name = alloc::format!("dev-{seed}-{d}");
        let mut device = SimulatedDevice::new(&name, firmware, "revB", "", seed * 1_000 + d)
            .with_scope("read_sensor", read_median, 0.25)
            .with_scope("publish", 4_000.0 * device_scale, 0.3);
        let (mut r, mut p) = (MergedHistogram::new(), MergedHistogram::new());
        for _ in 0..beats {
            let hb = device.next_heartbeat();
            r.add(&hb.scopes[0].histogram);
            p.add(&hb.scopes[1].histogram);
        }
        read.push(r);
        publish.push(p);
    }
    (read, publish)
}

fn p90(rows: &[PercentileComparison]) -> PercentileComparison {
    *rows.iter().find(|r| r.percentile == 90.0).unwrap()
}

fn quick() -> FleetComparator {
    let mut c = FleetComparator::default();
    c.gate.resamples = 500;
    c
}

#[test]
fn a_release_slowing_a_third_of_the_fleet_by_15_percent_is_caught() {
    let (old_read, old_publish) = fleet(90, "1.2.0", 1, None, 1.0, 2);
    let (new_read, new_publish) = fleet(90, "1.3.0", 2, Some(3), 1.15, 2);
    let read = quick().compare(&old_read, &new_read);
    let row = p90(&read);
    assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
    assert_eq!(row.devices, (90, 90));
    let change = row.change_percent.unwrap();
    assert!(
        (3.0..9.0).contains(&change),
        "fleet p90 moved {change:.1} %"
    );
    // The untouched scope stays quiet.
    for r in quick().compare(&old_publish, &new_publish) {
        assert_eq!(r.verdict, Verdict::NoSignificantChange, "{r:?}");
    }
}

#[test]
fn same_firmware_cohorts_raise_no_alarm_over_several_seeds() {
    for seed in 0..6u64 {
        let (a_read, a_publish) = fleet(90, "1.2.0", 10 + 2 * seed, None, 1.0, 2);
        let (b_read, b_publish) = fleet(90, "1.2.0", 11 + 2 * seed, None, 1.0, 2);
        for rows in [
            quick().compare(&a_read, &b_read),
            quick().compare(&a_publish, &b_publish),
        ] {
            for r in rows {
                assert_eq!(
                    r.verdict,
                    Verdict::NoSignificantChange,
                    "seed {seed}: {r:?}"
                );
            }
        }
    }
}

#[test]
fn merged_histograms_coarsen_to_the_common_resolution() {
    let mut fine = LatencyHistogram::new(3);
    let mut coarse = LatencyHistogram::new(0);
    for t in 1_100..1_200 {
        fine.record(t);
        coarse.record(t);
    }
    let mut m = MergedHistogram::new();
    m.add(&fine);
    assert_eq!(m.sub_bits(), 3);
    m.add(&coarse);
    assert_eq!((m.sub_bits(), m.count()), (0, 200));
    assert_eq!(m.bins().count(), 1, "1100..1200 is one log2 bucket");
}

#[test]
fn one_device_a_side_is_insufficient() {
    let (a, _) = fleet(1, "1.2.0", 3, None, 1.0, 1);
    let (b, _) = fleet(5, "1.3.0", 4, None, 1.0, 1);
    let rows = quick().compare(&a, &b);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.verdict == Verdict::InsufficientData));
    assert!(
        rows.iter()
            .all(|r| r.a_ticks.is_some() && r.b_ticks.is_some())
    );
    assert!(quick().compare(&[], &b).iter().all(|r| r.a_ticks.is_none()));
}
