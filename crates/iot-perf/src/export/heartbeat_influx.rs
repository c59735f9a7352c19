//! A heartbeat as InfluxDB line protocol, the points `iot-perf ingest` forwards (with the
//! snapshots and scope rows of [`super::influx_points`]):
//!
//! - `iot_heartbeat`: the interval's heap and stack peaks, CPU mean and max, reset count,
//!   uptime, messages the device dropped;
//! - `iot_heartbeat_scope` (tag `scope`): calls and the interval's p50/p90/p99/max in µs;
//! - `iot_heartbeat_latency` (tags `scope`, `vmrange`, `bin`, `ticks_per_second`): field
//!   `bucket`, the count of each non-empty histogram bin, its bounds in seconds as
//!   VictoriaMetrics' `vmrange` (`lower...upper`). Bins from many devices and intervals add
//!   up, so
//!   `histogram_quantile(0.9, sum by (vmrange) (sum_over_time(iot_heartbeat_latency_bucket[1h])))`
//!   is the fleet's p90 from the merged histograms, not an average of device percentiles.
//!   `bin` (`SUB_BITS:INDEX`, the library's bin) and `ticks_per_second` (one value per
//!   device) add no series; with them `iot-perf fleet compare --from-engine` reads the
//!   histograms back exactly ([`parse_bin_tag`]).
//!
//! Tags: the caller's (fleet, device) then `firmware`, `hardware`, `group` from the
//! heartbeat's identity; every point is stamped `at_ns`.

use anyhow::{Context, Result};
use iot_performance::timing::histogram::{MAX_SUB_BITS, bin_lower, bin_upper, last_bin};
use iot_performance::wire::Heartbeat;

use super::Value;

type Builder = influxdb_line_protocol::LineProtocolBuilder<Vec<u8>>;

/// Writes one point: `measurement`, `tags` (empty values left out), `fields` (none: no
/// point).
fn point(
    b: Builder,
    measurement: &str,
    tags: &[(&str, &str)],
    fields: &[(&str, Value)],
    at_ns: i64,
) -> Builder {
    let Some(((first, value), rest)) = fields.split_first() else {
        return b;
    };
    let mut tagged = b.measurement(measurement);
    for (key, value) in tags.iter().filter(|(_, v)| !v.is_empty()) {
        tagged = tagged.tag(key, value);
    }
    let mut line = tagged.field(first, *value);
    for (key, value) in rest {
        line = line.field(key, *value);
    }
    line.timestamp(at_ns).close_line()
}

/// The points of `hb`, tagged with `tags` and the heartbeat's identity, at `at_ns`.
pub fn heartbeat_points(tags: &[(&str, &str)], hb: &Heartbeat<'_>, at_ns: i64) -> Result<String> {
    let id = &hb.identity;
    let mut base: Vec<(&str, &str)> = tags.to_vec();
    base.extend([
        ("firmware", id.firmware),
        ("hardware", id.hardware),
        ("group", id.group),
    ]);
    let mut fields: Vec<(&str, Value)> = Vec::new();
    if let Some(v) = hb.heap_peak {
        fields.push(("heap_peak", Value::Int(v)));
    }
    if let Some(v) = hb.stack_peak {
        fields.push(("stack_peak", Value::Int(v)));
    }
    if let Some(cpu) = hb.cpu {
        fields.push((
            "cpu_mean_percent",
            Value::Float(f64::from(cpu.mean_percent)),
        ));
        fields.push(("cpu_max_percent", Value::Float(f64::from(cpu.max_percent))));
    }
    fields.extend([
        ("resets", Value::Int(u64::from(hb.reset.count))),
        ("uptime_ms", Value::Int(hb.uptime_ms)),
        (
            "messages_dropped",
            Value::Int(u64::from(hb.messages_dropped)),
        ),
    ]);
    let mut b = point(Builder::new(), "iot_heartbeat", &base, &fields, at_ns);
    let tps = hb.ticks_per_second.max(1) as f64;
    let us = |ticks: f64| ticks * 1e6 / tps;
    for scope in &hb.scopes {
        let mut tagged = base.clone();
        tagged.push(("scope", scope.name));
        let mut fields = vec![("calls", Value::Int(scope.calls))];
        for (name, p) in [("p50_us", 50.0), ("p90_us", 90.0), ("p99_us", 99.0)] {
            if let Some(t) = scope.histogram.percentile_ticks(p) {
                fields.push((name, Value::Float(us(t))));
            }
        }
        fields.push(("max_us", Value::Float(us(scope.max_ticks as f64))));
        b = point(b, "iot_heartbeat_scope", &tagged, &fields, at_ns);
        let sub_bits = scope.histogram.sub_bits();
        let ticks_per_second = hb.ticks_per_second.to_string();
        for (bin, count) in scope.histogram.bins().filter(|&(_, c)| c > 0) {
            let lower = bin_lower(bin, sub_bits) as f64 / tps;
            let upper = bin_upper(bin, sub_bits) as f64 / tps;
            let range = format!("{lower:.3e}...{upper:.3e}");
            let bin_tag = format!("{sub_bits}:{bin}");
            let mut bucket_tags = tagged.clone();
            bucket_tags.extend([
                ("vmrange", range.as_str()),
                ("bin", bin_tag.as_str()),
                ("ticks_per_second", ticks_per_second.as_str()),
            ]);
            b = point(
                b,
                "iot_heartbeat_latency",
                &bucket_tags,
                &[("bucket", Value::Int(count))],
                at_ns,
            );
        }
    }
    String::from_utf8(b.build()).context("line protocol is UTF-8")
}

/// The `(sub_bits, bin)` of a `bin` tag (`SUB_BITS:INDEX`); `None` when it is not one.
pub fn parse_bin_tag(tag: &str) -> Option<(u8, u16)> {
    let (sub_bits, bin) = tag.split_once(':')?;
    let sub_bits: u8 = sub_bits.parse().ok()?;
    let bin: u16 = bin.parse().ok()?;
    (sub_bits <= MAX_SUB_BITS && bin <= last_bin(sub_bits)).then_some((sub_bits, bin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_tags_read_back_and_reject_what_is_not_a_bin() {
        assert_eq!(parse_bin_tag("3:117"), Some((3, 117)));
        assert_eq!(parse_bin_tag("0:0"), Some((0, 0)));
        assert_eq!(parse_bin_tag("9:1"), None, "no such resolution");
        assert_eq!(parse_bin_tag(&format!("3:{}", last_bin(3) + 1)), None);
        assert_eq!(parse_bin_tag("3"), None);
        assert_eq!(parse_bin_tag("x:1"), None);
    }
}
