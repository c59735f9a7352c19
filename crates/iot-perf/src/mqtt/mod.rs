//! MQTT: the fleet's topic scheme, the Linux gateway's publisher and `iot-perf ingest`.
//!
//! Topics are `iotperf/v1/{fleet}/{device}/{kind}` ([`Topic`]); `kind` says what the
//! payload holds (`frames`: wire frames as a device link carries them). Everything goes
//! at QoS 1 (at least once): a message may arrive twice after a reconnect, never
//! acknowledged and lost. See docs/FLEET.md.

pub mod ingest;
pub mod publish;
pub mod sim;

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// First two levels of every topic: the scheme and its version.
pub const TOPIC_PREFIX: &str = "iotperf/v1";

/// What a message's payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Wire frames (`wire::Reporter` output, each ending with its `0x00` delimiter).
    Frames,
}

impl Kind {
    /// The topic level naming this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Frames => "frames",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "frames" => Some(Self::Frames),
            _ => None,
        }
    }
}

/// A parsed topic `iotperf/v1/{fleet}/{device}/{kind}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic<'a> {
    /// Fleet (a product, a customer, a site).
    pub fleet: &'a str,
    /// Device id, unique within the fleet.
    pub device: &'a str,
    /// Payload kind.
    pub kind: Kind,
}

impl<'a> Topic<'a> {
    /// Parses a topic; `None` when it is not of this scheme (or names an unknown kind).
    pub fn parse(topic: &'a str) -> Option<Self> {
        let rest = topic.strip_prefix(TOPIC_PREFIX)?.strip_prefix('/')?;
        let mut levels = rest.split('/');
        let (fleet, device, kind) = (levels.next()?, levels.next()?, levels.next()?);
        if levels.next().is_some() || fleet.is_empty() || device.is_empty() {
            return None;
        }
        Some(Self {
            fleet,
            device,
            kind: Kind::parse(kind)?,
        })
    }

    /// The topic string.
    pub fn format(fleet: &str, device: &str, kind: Kind) -> String {
        format!("{TOPIC_PREFIX}/{fleet}/{device}/{}", kind.as_str())
    }

    /// The history run that collects this device's messages.
    pub fn run_name(&self) -> String {
        format!("mqtt/{}/{}", self.fleet, self.device)
    }
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
    fn topics_round_trip_and_foreign_topics_are_refused() {
        let t = Topic::format("cold-chain", "dev-0042", Kind::Frames);
        assert_eq!(t, "iotperf/v1/cold-chain/dev-0042/frames");
        let parsed = Topic::parse(&t).unwrap();
        assert_eq!(parsed.fleet, "cold-chain");
        assert_eq!(parsed.device, "dev-0042");
        assert_eq!(parsed.kind, Kind::Frames);
        assert_eq!(parsed.run_name(), "mqtt/cold-chain/dev-0042");
        for bad in [
            "iotperf/v2/f/d/frames",
            "iotperf/v1/f/d",
            "iotperf/v1/f/d/frames/x",
            "iotperf/v1//d/frames",
            "iotperf/v1/f/d/unknown",
        ] {
            assert_eq!(Topic::parse(bad), None, "{bad}");
        }
    }

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
