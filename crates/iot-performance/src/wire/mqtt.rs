//! Publishing frames over MQTT from a device (`no_std`, no heap), through whatever MQTT
//! client the application already has.
//!
//! **Topics** are `iotperf/v1/{fleet}/{device}/{kind}` ([`topic`], [`parse_topic`]): `kind`
//! is `heartbeat` for [`super::Heartbeat`] frames, `record` for record frames (session,
//! snapshot, scope rows) and `trace` for trace chunks. One frame per message, the payload is
//! the encoded frame as [`super::encode_heartbeat`] writes it (trailing `0x00` included).
//! Subscribe with `iotperf/v1/#`, or `$share/GROUP/iotperf/v1/#` to split the load.
//!
//! **QoS 1 and the offline queue:** [`MqttPublisher`] keeps up to `N` messages of up to
//! `LEN` bytes. [`MqttPublisher::poll`] hands the queued ones to the client
//! ([`MqttClient::publish_qos1`]); a message leaves the queue only when the client reports
//! its acknowledgement (PUBACK): at once if the client waits for it, or later through
//! [`MqttPublisher::acknowledged`]. After a lost connection
//! ([`MqttPublisher::connection_lost`]) unacknowledged messages are sent again (the host
//! stores a redelivered heartbeat once). When the queue is full a new message is dropped
//! and counted ([`MqttPublisher::dropped`]; heartbeats carry the count in
//! `messages_dropped`): nothing blocks and nothing is lost silently. RAM: about
//! `N × (LEN + 8)` bytes plus three 128-byte topics; `MqttPublisher<4, 1280>` (four
//! heartbeats) is 5 580 bytes on thumbv7em.
//!
//! ```
//! use iot_performance::wire::mqtt::{Delivery, MqttClient, MqttPublisher, PublishError, TopicKind};
//!
//! /// The application's client: here it records what it sent and waits for no PUBACK.
//! struct Client { sent: Vec<(String, usize)>, next_id: u16 }
//! impl MqttClient for Client {
//!     fn publish_qos1(&mut self, topic: &str, payload: &[u8]) -> Result<Delivery, PublishError> {
//!         self.sent.push((topic.into(), payload.len()));
//!         self.next_id += 1;
//!         Ok(Delivery::InFlight(self.next_id)) // PUBACK arrives later
//!     }
//! }
//!
//! let mut publisher: MqttPublisher<4, 256> = MqttPublisher::new("plant-3", "node-7")?;
//! publisher.enqueue(TopicKind::Heartbeat, &[1, 2, 3, 0]).unwrap();
//! let mut client = Client { sent: Vec::new(), next_id: 0 };
//! publisher.poll(&mut client);
//! assert_eq!(client.sent[0].0, "iotperf/v1/plant-3/node-7/heartbeat");
//! assert_eq!(publisher.queued(), 1); // in flight until acknowledged
//! publisher.acknowledged(1);
//! assert_eq!(publisher.queued(), 0);
//! # Ok::<(), iot_performance::wire::mqtt::TopicError>(())
//! ```
//!
//! ## Implementing [`MqttClient`] for a client
//! - **rust-mqtt** (`embassy-net`, async): its QoS 1 publish returns once the PUBACK has
//!   arrived, so call it (e.g. with `embassy_futures::block_on` inside a task that owns the
//!   client, or make the call from your async loop and then call `poll` again) and return
//!   `Delivery::Acknowledged`; return `PublishError::NotConnected` on a network error.
//! - **minimq** (`smoltcp`/`embedded-nal`): `client.publish(Publication::new(payload)
//!   .topic(topic).qos(QoS::AtLeastOnce).finish()?)` queues the message and `client.poll(..)`
//!   processes the PUBACK; return `Delivery::InFlight(id)` with your own counter and call
//!   `acknowledged(id)` when `client.pending_messages()` shows it gone (minimq completes
//!   them in order), or return `PublishError::Busy` when it has no room.

use core::fmt::Write as _;

/// First two levels of every topic.
pub const TOPIC_PREFIX: &str = "iotperf/v1";

/// Longest topic built.
pub const MAX_TOPIC_LEN: usize = 128;

/// A topic, built without heap.
pub type Topic = heapless::String<MAX_TOPIC_LEN>;

/// What kind of frame a message carries (the topic's last level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TopicKind {
    /// A heartbeat frame (magic `IH`).
    Heartbeat,
    /// A record frame (magic `IP`: session, snapshot, scope row, dropped count).
    Record,
    /// A trace-chunk frame (magic `IT`).
    Trace,
}

impl TopicKind {
    /// The topic level, e.g. `"heartbeat"`.
    pub const fn level(&self) -> &'static str {
        match self {
            Self::Heartbeat => "heartbeat",
            Self::Record => "record",
            Self::Trace => "trace",
        }
    }

    fn from_level(level: &str) -> Option<Self> {
        [Self::Heartbeat, Self::Record, Self::Trace]
            .into_iter()
            .find(|k| k.level() == level)
    }
}

/// Why a topic could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TopicError {
    /// A fleet or device name is empty or holds `/`, `+`, `#` or a NUL.
    BadName,
    /// Longer than [`MAX_TOPIC_LEN`].
    TooLong,
}

impl core::fmt::Display for TopicError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadName => write!(
                f,
                "fleet and device names must be non-empty without / + # or NUL"
            ),
            Self::TooLong => write!(f, "topic longer than {MAX_TOPIC_LEN} bytes"),
        }
    }
}

impl core::error::Error for TopicError {}

fn valid_level(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '+', '#', '\0'])
}

/// `iotperf/v1/{fleet}/{device}/{kind}`.
pub fn topic(fleet: &str, device: &str, kind: TopicKind) -> Result<Topic, TopicError> {
    if !valid_level(fleet) || !valid_level(device) {
        return Err(TopicError::BadName);
    }
    let mut t = Topic::new();
    write!(t, "{TOPIC_PREFIX}/{fleet}/{device}/{}", kind.level())
        .map_err(|_| TopicError::TooLong)?;
    Ok(t)
}

/// The parts of a topic of this scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicParts<'a> {
    /// The fleet level.
    pub fleet: &'a str,
    /// The device level.
    pub device: &'a str,
    /// The kind of frame.
    pub kind: TopicKind,
}

/// Splits a topic of this scheme (a shared-subscription prefix is not part of a topic);
/// `None` for any other topic.
pub fn parse_topic(topic: &str) -> Option<TopicParts<'_>> {
    let rest = topic.strip_prefix(TOPIC_PREFIX)?.strip_prefix('/')?;
    let mut levels = rest.split('/');
    let (fleet, device, kind) = (levels.next()?, levels.next()?, levels.next()?);
    if levels.next().is_some() || !valid_level(fleet) || !valid_level(device) {
        return None;
    }
    Some(TopicParts {
        fleet,
        device,
        kind: TopicKind::from_level(kind)?,
    })
}

/// What the client did with a QoS 1 publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Delivery {
    /// The broker's PUBACK has arrived.
    Acknowledged,
    /// Sent; the PUBACK for this id will be reported with [`MqttPublisher::acknowledged`].
    InFlight(u16),
}

/// Why the client could not take a message now (it stays queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PublishError {
    /// No connection to the broker.
    NotConnected,
    /// The client has no room for another message in flight.
    Busy,
}

/// The one thing [`MqttPublisher`] needs from an MQTT client.
pub trait MqttClient {
    /// Publishes `payload` on `topic` with QoS 1 (at least once).
    fn publish_qos1(&mut self, topic: &str, payload: &[u8]) -> Result<Delivery, PublishError>;
}

/// The offline queue refused a message: it is full, or the message is longer than `LEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dropped;

#[derive(Debug)]
struct Queued<const LEN: usize> {
    kind: TopicKind,
    in_flight: Option<u16>,
    payload: heapless::Vec<u8, LEN>,
}

/// A bounded offline queue of frames for one device, published with QoS 1 (see the
/// [module docs](self)).
#[derive(Debug)]
pub struct MqttPublisher<const N: usize, const LEN: usize> {
    topics: [Topic; 3],
    queue: heapless::Deque<Queued<LEN>, N>,
    dropped: u32,
}

impl<const N: usize, const LEN: usize> MqttPublisher<N, LEN> {
    /// A publisher for `device` of `fleet`.
    pub fn new(fleet: &str, device: &str) -> Result<Self, TopicError> {
        Ok(Self {
            topics: [
                topic(fleet, device, TopicKind::Heartbeat)?,
                topic(fleet, device, TopicKind::Record)?,
                topic(fleet, device, TopicKind::Trace)?,
            ],
            queue: heapless::Deque::new(),
            dropped: 0,
        })
    }

    /// The topic of `kind` for this device.
    pub fn topic(&self, kind: TopicKind) -> &str {
        &self.topics[kind as usize]
    }

    /// Queues one encoded frame; a full queue or an oversized frame drops it and counts it.
    pub fn enqueue(&mut self, kind: TopicKind, frame: &[u8]) -> Result<(), Dropped> {
        let payload = heapless::Vec::from_slice(frame).map_err(|_| self.drop_one())?;
        self.queue
            .push_back(Queued {
                kind,
                in_flight: None,
                payload,
            })
            .map_err(|_| self.drop_one())
    }

    fn drop_one(&mut self) -> Dropped {
        self.dropped = self.dropped.saturating_add(1);
        Dropped
    }

    /// Hands every message not yet in flight to `client`, oldest first, until the client
    /// refuses one; returns how many it took.
    pub fn poll(&mut self, client: &mut impl MqttClient) -> usize {
        let mut taken = 0;
        let mut i = 0;
        while i < self.queue.len() {
            let Some(entry) = self.queue.iter_mut().nth(i) else {
                break;
            };
            if entry.in_flight.is_some() {
                i += 1;
                continue;
            }
            let topic = &self.topics[entry.kind as usize];
            match client.publish_qos1(topic, &entry.payload) {
                Ok(Delivery::InFlight(id)) => {
                    entry.in_flight = Some(id);
                    i += 1;
                }
                Ok(Delivery::Acknowledged) => self.remove_at(i),
                Err(_) => return taken,
            }
            taken += 1;
        }
        taken
    }

    fn remove_at(&mut self, i: usize) {
        // Rotate the entry to the front and pop it, keeping the others in order.
        for _ in 0..i {
            if let Some(e) = self.queue.pop_front() {
                let _ = self.queue.push_back(e);
            }
        }
        self.queue.pop_front();
        for _ in 0..self.queue.len() - i {
            if let Some(e) = self.queue.pop_front() {
                let _ = self.queue.push_back(e);
            }
        }
    }

    /// The client reports the PUBACK of packet `id`: its message leaves the queue.
    /// Returns false for an id no queued message has.
    pub fn acknowledged(&mut self, id: u16) -> bool {
        match self.queue.iter().position(|e| e.in_flight == Some(id)) {
            Some(i) => {
                self.remove_at(i);
                true
            }
            None => false,
        }
    }

    /// The connection dropped: every unacknowledged message is sent again by the next
    /// [`Self::poll`].
    pub fn connection_lost(&mut self) {
        self.queue.iter_mut().for_each(|e| e.in_flight = None);
    }

    /// Messages queued (waiting or in flight).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Messages dropped since start (queue full or frame longer than `LEN`).
    pub fn dropped(&self) -> u32 {
        self.dropped
    }
}

#[cfg(test)]
#[path = "mqtt_tests.rs"]
mod tests;
