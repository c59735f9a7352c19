//! Wi-Fi traffic figures reported by the application's network code. Plain counters, no
//! registers: tested on the host.
//!
//! The figures reach the user through the backend's provider
//! ([`crate::SystemInfoProvider::wifi_traffic`]), hence
//! [`crate::PerformanceMonitor::wifi_stats`], and through the insight rules
//! ([`crate::insights::InsightInput::wifi`]).

use core::cell::Cell;

use critical_section::Mutex;

/// Totals of the traffic the application reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WifiStats {
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u32,
    /// Packets received.
    pub rx_packets: u32,
    /// Round trips timed with [`WifiTracker::record_latency_us`].
    pub latency_samples: u32,
    /// Sum of those round trips, µs.
    pub latency_total_us: u64,
    /// Longest round trip, µs.
    pub latency_max_us: u32,
}

impl WifiStats {
    /// Mean round-trip latency in µs, `None` before the first sample.
    pub fn mean_latency_us(&self) -> Option<u64> {
        (self.latency_samples > 0).then(|| self.latency_total_us / u64::from(self.latency_samples))
    }

    /// Mean size of a sent packet in bytes, `None` before the first one.
    pub fn mean_tx_packet_bytes(&self) -> Option<u64> {
        (self.tx_packets > 0).then(|| self.tx_bytes / u64::from(self.tx_packets))
    }
}

/// Interrupt-safe accumulator the network code feeds.
#[derive(Debug)]
pub struct WifiTracker {
    stats: Mutex<Cell<WifiStats>>,
}

impl WifiTracker {
    /// An empty tracker (usable in a `static`).
    pub const fn new() -> Self {
        Self {
            stats: Mutex::new(Cell::new(WifiStats {
                tx_bytes: 0,
                rx_bytes: 0,
                tx_packets: 0,
                rx_packets: 0,
                latency_samples: 0,
                latency_total_us: 0,
                latency_max_us: 0,
            })),
        }
    }

    fn update(&self, f: impl FnOnce(&mut WifiStats)) {
        critical_section::with(|cs| {
            let cell = self.stats.borrow(cs);
            let mut stats = cell.get();
            f(&mut stats);
            cell.set(stats);
        });
    }

    /// One packet of `bytes` sent.
    pub fn record_tx(&self, bytes: usize) {
        self.update(|s| {
            s.tx_bytes = s.tx_bytes.saturating_add(bytes as u64);
            s.tx_packets = s.tx_packets.saturating_add(1);
        });
    }

    /// One packet of `bytes` received.
    pub fn record_rx(&self, bytes: usize) {
        self.update(|s| {
            s.rx_bytes = s.rx_bytes.saturating_add(bytes as u64);
            s.rx_packets = s.rx_packets.saturating_add(1);
        });
    }

    /// One measured round trip (request sent → reply received), in µs.
    pub fn record_latency_us(&self, latency_us: u32) {
        self.update(|s| {
            s.latency_samples = s.latency_samples.saturating_add(1);
            s.latency_total_us = s.latency_total_us.saturating_add(u64::from(latency_us));
            s.latency_max_us = s.latency_max_us.max(latency_us);
        });
    }

    /// The totals so far.
    pub fn stats(&self) -> WifiStats {
        critical_section::with(|cs| self.stats.borrow(cs).get())
    }
}

impl Default for WifiTracker {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulates_traffic_and_latency() {
        let tracker = WifiTracker::new();
        assert_eq!(tracker.stats().mean_latency_us(), None);
        tracker.record_tx(1200);
        tracker.record_tx(300);
        tracker.record_rx(64);
        tracker.record_latency_us(4000);
        tracker.record_latency_us(6000);
        let stats = tracker.stats();
        assert_eq!((stats.tx_bytes, stats.tx_packets), (1500, 2));
        assert_eq!((stats.rx_bytes, stats.rx_packets), (64, 1));
        assert_eq!(stats.mean_latency_us(), Some(5000));
        assert_eq!(stats.latency_max_us, 6000);
        assert_eq!(stats.mean_tx_packet_bytes(), Some(750));
        assert_eq!(WifiStats::default().mean_tx_packet_bytes(), None);
    }
}
