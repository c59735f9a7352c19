//! MQTT on the host: `iot-perf ingest` and the Linux gateway's publisher.
//!
//! The topic scheme is the library's ([`iot_performance::wire::mqtt`]):
//! `iotperf/v1/{fleet}/{device}/{kind}`, kind `record` (record frames: session, snapshot,
//! scope rows), `heartbeat` or `trace`. Everything goes at QoS 1 (at least once): a
//! message may arrive twice after a reconnect, never acknowledged and lost. See
//! docs/FLEET.md.

pub mod ingest;
pub mod publish;
pub mod sim;

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use iot_performance::wire::mqtt::{TopicKind, topic};

/// The topic of `fleet`'s `device` for `kind`, as a `String`.
pub fn topic_string(fleet: &str, device: &str, kind: TopicKind) -> Result<String> {
    topic(fleet, device, kind)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| anyhow!("fleet {fleet:?}, device {device:?}: {e}"))
}

/// The history run that collects a device's record frames: `mqtt/{fleet}/{device}`.
pub fn run_name(fleet: &str, device: &str) -> String {
    format!("mqtt/{fleet}/{device}")
}

/// Host and port of `mqtt://HOST:PORT` (port 1883 when left out).
pub fn broker_address(url: &str) -> Result<(String, u16)> {
    let Some(rest) = url.strip_prefix("mqtt://") else {
        bail!("{url:?}: the broker URL must start with mqtt:// (TLS is not built in)");
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .with_context(|| format!("{url:?}: {port:?} is not a port"))?,
        ),
        None => (rest, 1883),
    };
    if host.is_empty() {
        bail!("{url:?}: no host");
    }
    Ok((host.to_owned(), port))
}

/// Client options for `url`: persistent session (`clean_session = false`, so QoS 1
/// messages are kept by the broker while the client is away), 10 s keep-alive, packets
/// up to 1 MiB.
pub fn options(url: &str, client_id: &str) -> Result<rumqttc::MqttOptions> {
    let (host, port) = broker_address(url)?;
    let mut options = rumqttc::MqttOptions::new(client_id, host, port);
    options
        .set_clean_session(false)
        .set_keep_alive(Duration::from_secs(10))
        .set_max_packet_size(1 << 20, 1 << 20);
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        assert_eq!(
            broker_address("mqtt://127.0.0.1:18830").unwrap(),
            ("127.0.0.1".to_owned(), 18830)
        );
        assert_eq!(
            broker_address("mqtt://broker").unwrap(),
            ("broker".to_owned(), 1883)
        );
        assert!(broker_address("mqtts://broker:8883").is_err());
        assert!(broker_address("mqtt://broker:x").is_err());
    }
}
