//! Publishing frames to the broker from a Linux gateway (`iot-perf publish`), and the
//! publisher the fleet simulator uses.
//!
//! QoS 1 over a persistent session: the client resends what the broker has not
//! acknowledged after a reconnect. While the broker is away, messages wait in the
//! client's request queue, bounded by `buffer` messages; a message that finds it full is
//! dropped and counted ([`PublishStats::dropped`]), never blocking the caller.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use iot_performance::wire::{DroppedRecord, MAX_FRAME_LEN, Record, encode_frame};
use rumqttc::{Client, Event, Packet, QoS};

use iot_performance::wire::mqtt::TopicKind;

use super::topic_string;
use crate::frames::{FrameReader, Item};
use crate::model::OwnedRecord;

/// What a publisher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PublishStats {
    /// Messages handed to the client.
    pub queued: u64,
    /// Messages the broker acknowledged (PUBACK).
    pub acked: u64,
    /// Messages dropped because the offline buffer was full.
    pub dropped: u64,
    /// Times the connection was lost.
    pub disconnects: u64,
}

#[derive(Default)]
struct Counts {
    queued: AtomicU64,
    acked: AtomicU64,
    dropped: AtomicU64,
    disconnects: AtomicU64,
    stop: AtomicBool,
}

/// A QoS 1 publisher with a bounded offline buffer.
pub struct Publisher {
    client: Client,
    counts: Arc<Counts>,
    worker: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Connects to `url` as `client_id`, buffering up to `buffer` messages.
    pub fn connect(url: &str, client_id: &str, buffer: usize) -> Result<Self> {
        let mut options = super::options(url, client_id)?;
        options.set_inflight(u16::try_from(buffer.clamp(1, 1000)).unwrap_or(1000));
        let (client, mut connection) = Client::new(options, buffer.max(1));
        let counts = Arc::new(Counts::default());
        let worker = {
            let counts = counts.clone();
            std::thread::spawn(move || {
                for event in connection.iter() {
                    match event {
                        Ok(Event::Incoming(Packet::PubAck(_))) => {
                            counts.acked.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) => {
                            if counts.stop.load(Ordering::Acquire) {
                                return;
                            }
                            counts.disconnects.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    }
                    if counts.stop.load(Ordering::Acquire) {
                        return;
                    }
                }
            })
        };
        Ok(Self {
            client,
            counts,
            worker: Some(worker),
        })
    }

    /// Queues `payload` on `topic` at QoS 1; `false` when the buffer was full (counted).
    pub fn publish(&self, topic: &str, payload: Vec<u8>) -> bool {
        match self
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, payload)
        {
            Ok(()) => {
                self.counts.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Like [`Publisher::publish`], but waits (up to `timeout`) for room instead of
    /// dropping: for a simulator that must not lose anything to its own buffer.
    pub fn publish_waiting(&self, topic: &str, payload: Vec<u8>, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut payload = payload;
        loop {
            match self
                .client
                .try_publish(topic, QoS::AtLeastOnce, false, payload)
            {
                Ok(()) => {
                    self.counts.queued.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                Err(rumqttc::ClientError::TryRequest(rumqttc::Request::Publish(p)))
                    if Instant::now() < deadline =>
                {
                    payload = p.payload.to_vec();
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                    return false;
                }
            }
        }
    }

    /// The counts so far.
    pub fn stats(&self) -> PublishStats {
        let c = &self.counts;
        PublishStats {
            queued: c.queued.load(Ordering::Relaxed),
            acked: c.acked.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            disconnects: c.disconnects.load(Ordering::Relaxed),
        }
    }

    /// Waits up to `timeout` for the broker to acknowledge everything queued, then
    /// disconnects; returns the counts.
    pub fn finish(mut self, timeout: Duration) -> PublishStats {
        let deadline = Instant::now() + timeout;
        while self.stats().acked < self.stats().queued && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stop();
        self.stats()
    }

    fn stop(&mut self) {
        self.counts.stop.store(true, Ordering::Release);
        let _ = self.client.try_disconnect();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Appends `record` to `out` as one frame.
pub fn encode(record: &OwnedRecord, out: &mut Vec<u8>) -> Result<()> {
    let record = match record {
        OwnedRecord::Session(s) => Record::Session(iot_performance::wire::SessionEntry {
            device: s.device.as_str(),
            firmware: s.firmware.as_str(),
            ticks_per_second: s.ticks_per_second,
        }),
        OwnedRecord::Snapshot(s) => Record::Snapshot(*s),
        OwnedRecord::Scope(s) => Record::Scope(s.clone().map_name(|_| s.name.as_str())),
        OwnedRecord::Dropped(n) => Record::Dropped(DroppedRecord { frames: *n }),
        OwnedRecord::Task(t) => Record::Task(
            t.clone()
                .map_name(|_| t.name.as_deref().unwrap_or_default()),
        ),
        OwnedRecord::Interrupt(i) => Record::Interrupt(i.clone().map_name(|_| i.name.as_str())),
    };
    let mut frame = [0u8; MAX_FRAME_LEN];
    let Ok(len) = encode_frame(&record, &mut frame) else {
        bail!("a record does not fit in a frame");
    };
    out.extend_from_slice(&frame[..len]);
    Ok(())
}

/// `iot-perf publish --raw`: the bytes of `input` unchanged, cut after every
/// `per_message`-th `0x00` delimiter (the ingest decodes and counts what is corrupt).
pub fn publish_raw(
    publisher: &Publisher,
    fleet: &str,
    device: &str,
    mut input: impl Read,
    per_message: usize,
) -> Result<()> {
    let topic = topic_string(fleet, device, TopicKind::Record)?;
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let mut payload = Vec::new();
    let mut frames = 0;
    for &b in &bytes {
        payload.push(b);
        if b == 0 {
            frames += 1;
            if frames >= per_message.max(1) {
                publisher.publish(&topic, std::mem::take(&mut payload));
                frames = 0;
            }
        }
    }
    if !payload.is_empty() {
        publisher.publish(&topic, payload);
    }
    Ok(())
}

/// `iot-perf publish`: frames from `input` to `iotperf/v1/{fleet}/{device}/record`,
/// re-encoded, `per_message` frames a message (heartbeat frames unchanged to
/// `.../heartbeat`, one a message); returns the corrupt frames skipped.
pub fn publish_stream(
    publisher: &Publisher,
    fleet: &str,
    device: &str,
    input: impl Read,
    per_message: usize,
) -> Result<u64> {
    let topic = topic_string(fleet, device, TopicKind::Record)?;
    let heartbeat_topic = topic_string(fleet, device, TopicKind::Heartbeat)?;
    let mut payload = Vec::new();
    let mut frames = 0;
    let mut corrupt = 0;
    for item in FrameReader::new(input) {
        match item {
            Item::Record(r) => {
                encode(&r, &mut payload)?;
                frames += 1;
            }
            Item::Corrupt { .. } => corrupt += 1,
            // Trace chunks travel on the `trace` topic kind, not between records.
            Item::Trace(_) => {}
            // A heartbeat goes unchanged on its own topic kind, one a message.
            Item::Heartbeat(mut frame) => {
                frame.push(0);
                publisher.publish(&heartbeat_topic, frame);
            }
        }
        if frames >= per_message.max(1) {
            publisher.publish(&topic, std::mem::take(&mut payload));
            frames = 0;
        }
    }
    if frames > 0 {
        publisher.publish(&topic, payload);
    }
    Ok(corrupt)
}
