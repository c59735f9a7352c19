//! Wi-Fi rules: slow round trips, many small packets. They read
//! [`InsightInput::wifi`](super::InsightInput::wifi) and stay silent without it.

use super::rules::{insight, level};
use super::{Insight, InsightInput, InsightSeverity, InsightThresholds, Rule};
use crate::analysis::Unit;

/// Packets sent before the small-packet rule judges their mean size: a handful of
/// start-up messages says nothing about the traffic.
pub const SMALL_PACKETS_MIN_COUNT: u32 = 32;

/// The mean round trip against [`InsightThresholds::network_latency_us`].
pub(super) fn slow_network(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<Insight> {
    let mean = input.wifi?.mean_latency_us()? as f64;
    let warn = t.network_latency_us as f64;
    let severity = level(mean, warn, warn * 4.0)?;
    Some(insight(
        Rule::SlowNetwork,
        severity,
        None,
        ("mean Wi-Fi round trip", mean, warn, Unit::Micros),
        "Network round trips are slow: check the signal (RSSI) and the access point's load, \
         keep connections open instead of reconnecting, and do not wait for replies on a \
         time-critical path.",
    ))
}

/// The mean size of a sent packet against [`InsightThresholds::small_packet_bytes`].
pub(super) fn small_packets(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<Insight> {
    let wifi = input.wifi?;
    if wifi.tx_packets < SMALL_PACKETS_MIN_COUNT {
        return None;
    }
    let mean = wifi.mean_tx_packet_bytes()?;
    (mean < t.small_packet_bytes).then(|| {
        insight(
            Rule::SmallRadioPackets,
            InsightSeverity::Info,
            None,
            (
                "mean bytes per sent packet",
                mean as f64,
                t.small_packet_bytes as f64,
                Unit::Bytes,
            ),
            "Each transmission wakes the radio and pays its protocol overhead: batch \
             readings into fewer, larger messages.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WifiTracker;
    use crate::insights::analyze;

    fn rules_for(tracker: &WifiTracker) -> heapless::Vec<(Rule, InsightSeverity), 32> {
        let input = InsightInput::default().with_wifi(Some(tracker.stats()));
        analyze(&input, &InsightThresholds::default())
            .items
            .iter()
            .map(|i| (i.rule, i.severity))
            .collect()
    }

    #[test]
    fn slow_round_trips_warn_then_turn_critical() {
        let wifi = WifiTracker::new();
        wifi.record_latency_us(100_000);
        wifi.record_latency_us(200_000);
        assert!(rules_for(&wifi).is_empty(), "150 ms mean is fine");
        wifi.record_latency_us(600_000); // mean 300 ms
        assert_eq!(
            rules_for(&wifi).as_slice(),
            [(Rule::SlowNetwork, InsightSeverity::Warning)]
        );
        wifi.record_latency_us(3_100_000); // mean 1 s
        assert_eq!(
            rules_for(&wifi).as_slice(),
            [(Rule::SlowNetwork, InsightSeverity::Critical)]
        );
    }

    #[test]
    fn many_small_packets_are_reported_once_enough_were_sent() {
        let wifi = WifiTracker::new();
        for _ in 0..SMALL_PACKETS_MIN_COUNT - 1 {
            wifi.record_tx(20);
        }
        assert!(rules_for(&wifi).is_empty(), "too few packets to judge");
        wifi.record_tx(20);
        let input = InsightInput::default().with_wifi(Some(wifi.stats()));
        let insights = analyze(&input, &InsightThresholds::default());
        let small = &insights.items[0];
        assert_eq!(small.rule, Rule::SmallRadioPackets);
        assert_eq!(small.evidence.value, 20.0);
        assert_eq!(small.evidence.threshold, 64.0);
        let large = WifiTracker::new();
        for _ in 0..SMALL_PACKETS_MIN_COUNT {
            large.record_tx(1_200);
        }
        assert!(rules_for(&large).is_empty(), "1200 B packets are not small");
    }

    #[test]
    fn no_wifi_figures_no_wifi_insight() {
        let insights = analyze(&InsightInput::default(), &InsightThresholds::default());
        assert!(insights.items.is_empty());
    }
}
