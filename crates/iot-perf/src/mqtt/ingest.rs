//! `iot-perf ingest --mqtt`: subscribe at QoS 1, store each message in the history, then
//! acknowledge it, then forward it.
//!
//! Acknowledgements are manual: a message is acknowledged to the broker only after the
//! write transaction holding it has committed, so whatever the broker was told is safe is
//! in the history; a crash, a killed process or a broker restart before that leaves the
//! message with the broker (persistent session), which delivers it again. Messages are
//! stored in batches (up to `batch` messages, or what arrived within [`BATCH_WINDOW`]),
//! one write transaction for the batch's record frames and one for its heartbeats. A
//! payload that holds no valid frame, or a topic outside the scheme, is counted as bad and
//! acknowledged (it would never get better); trace messages are counted and skipped.
//! Record frames (one or more a message) go to one run per device,
//! `mqtt/{fleet}/{device}`, appended to ([`History::append`]); heartbeats go to the
//! history's heartbeat tables ([`History::store_heartbeats_each`]: a redelivered heartbeat
//! is stored once and forwarded once).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rumqttc::{Client, Event, Packet, Publish, QoS};

use iot_performance::wire::Heartbeat;
use iot_performance::wire::decode_heartbeat;
use iot_performance::wire::mqtt::{TopicKind, parse_topic};

use super::run_name;
use crate::db::{Append, Appended, History, now_ms};
use crate::export::{heartbeat_points, influx_points};
use crate::forward::{ForwardStats, Forwarder};
use crate::frames::{FrameReader, Item};
use crate::model::{OwnedRecord, ScopeRow};

/// How long a batch waits for more messages after its first.
pub const BATCH_WINDOW: Duration = Duration::from_millis(20);
/// Warnings printed one by one before only counting.
const REPORTED: u64 = 10;

/// What `ingest --mqtt` is told.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// `mqtt://HOST:PORT`.
    pub url: String,
    /// Topic filter, e.g. `iotperf/v1/#`.
    pub topic: String,
    /// Shared-subscription group: subscribes to `$share/GROUP/<topic>`.
    pub share: Option<String>,
    /// MQTT client id (the broker keeps its session and queue by this id).
    pub client_id: String,
    /// The history.
    pub history: PathBuf,
    /// Engine write endpoint for line protocol.
    pub forward_influx: Option<String>,
    /// Bound of the forwarding backlog, in lines.
    pub max_backlog_lines: u64,
    /// Most messages in one write transaction.
    pub batch: usize,
    /// Stop after this many messages.
    pub max_messages: Option<u64>,
    /// Stop after this long without a message.
    pub idle_exit: Option<Duration>,
    /// How long to wait, when stopping, for the forwarding backlog to drain.
    pub drain: Duration,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IngestReport {
    /// Messages received (stored + bad).
    pub messages: u64,
    /// Messages stored in the history and acknowledged.
    pub stored_messages: u64,
    /// Messages counted as bad (foreign topic, no valid frame) and acknowledged.
    pub bad_messages: u64,
    /// Trace messages, acknowledged and not stored (record traces with `record`).
    pub skipped_messages: u64,
    /// Heartbeats stored.
    pub heartbeats: u64,
    /// Heartbeats already in the history (a QoS 1 redelivery), not stored again.
    pub duplicate_heartbeats: u64,
    /// Snapshots stored.
    pub snapshots: u64,
    /// Scope rows stored.
    pub scopes: u64,
    /// Other records stored (sessions, drop reports).
    pub other: u64,
    /// Corrupt frames inside stored messages.
    pub corrupt_frames: u64,
    /// Write transactions.
    pub batches: u64,
    /// Times the connection to the broker was lost.
    pub disconnects: u64,
    /// Seconds from the first message to the last.
    pub busy_seconds: f64,
    /// Messages per second over `busy_seconds`.
    pub messages_per_second: f64,
    /// Peak resident set of the process, KiB.
    pub peak_rss_kib: u64,
    /// The forwarder's counts, when forwarding.
    pub forward: Option<ForwardStats>,
}

/// What the connection thread passes on.
enum FromBroker {
    Publish(Publish),
    Connected { session_present: bool },
    Subscribed,
    Disconnected(String),
}

/// Peak resident set of this process in KiB (`getrusage`), 0 where unavailable.
pub fn peak_rss_kib() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `rusage` into the pointer it is given, which points to
    // zeroed memory of that type.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return 0;
    }
    // SAFETY: getrusage returned 0, so it filled the struct (and zeroed memory is a valid
    // `rusage` anyway).
    let usage = unsafe { usage.assume_init() };
    u64::try_from(usage.ru_maxrss).unwrap_or(0)
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Drives the MQTT connection, passing what arrives to `tx` (never waiting) and sending
/// queued acknowledgements; reconnects by iterating on.
fn connection_loop(
    mut connection: rumqttc::Connection,
    tx: &Sender<FromBroker>,
    stop: &AtomicBool,
) {
    for event in connection.iter() {
        let passed = match event {
            Ok(Event::Incoming(Packet::Publish(p))) => tx.send(FromBroker::Publish(p)),
            Ok(Event::Incoming(Packet::ConnAck(c))) => tx.send(FromBroker::Connected {
                session_present: c.session_present,
            }),
            Ok(Event::Incoming(Packet::SubAck(_))) => tx.send(FromBroker::Subscribed),
            Ok(_) => Ok(()),
            Err(e) => {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                let passed = tx.send(FromBroker::Disconnected(e.to_string()));
                std::thread::sleep(Duration::from_millis(200));
                passed
            }
        };
        if passed.is_err() || stop.load(Ordering::Acquire) {
            return;
        }
    }
}

/// The record frames of one received message, decoded.
struct Decoded {
    run: String,
    source: String,
    device: String,
    fleet: String,
    records: Vec<OwnedRecord>,
    corrupt: u64,
    received_ns: i64,
}

/// A heartbeat message: its frame (without the delimiter), to decode in place.
struct HeartbeatFrame {
    frame: Vec<u8>,
    fleet: String,
    device: String,
    topic: String,
}

/// What a message holds.
enum Message {
    Records(Decoded),
    Heartbeat(HeartbeatFrame),
    Skipped,
}

/// Sorts a message by its topic and decodes its record frames; `Err` says why it is bad.
fn decode(p: &Publish, received_ns: i64) -> Result<Message, String> {
    let topic = parse_topic(&p.topic)
        .ok_or_else(|| format!("topic {:?} is not iotperf/v1/FLEET/DEVICE/KIND", p.topic))?;
    match topic.kind {
        TopicKind::Trace => Ok(Message::Skipped),
        TopicKind::Heartbeat => {
            let mut frame = p.payload.to_vec();
            while frame.last() == Some(&0) {
                frame.pop();
            }
            Ok(Message::Heartbeat(HeartbeatFrame {
                frame,
                fleet: topic.fleet.to_owned(),
                device: topic.device.to_owned(),
                topic: p.topic.clone(),
            }))
        }
        TopicKind::Record => {
            let mut records = Vec::new();
            let mut corrupt = 0;
            for item in FrameReader::new(&p.payload[..]) {
                match item {
                    Item::Record(r) => records.push(r),
                    Item::Corrupt { .. } => corrupt += 1,
                    // Trace chunks belong on the `trace` topic kind; between records
                    // they are not stored (the `trace` kind is counted as skipped);
                    // heartbeats belong on the `heartbeat` kind.
                    Item::Trace(_) | Item::Heartbeat(_) => {}
                }
            }
            if records.is_empty() {
                return Err(format!(
                    "{}: no valid frame in {} bytes ({corrupt} corrupt)",
                    p.topic,
                    p.payload.len()
                ));
            }
            Ok(Message::Records(Decoded {
                run: run_name(topic.fleet, topic.device),
                source: format!("mqtt {}", p.topic),
                device: topic.device.to_owned(),
                fleet: topic.fleet.to_owned(),
                records,
                corrupt,
                received_ns,
            }))
        }
    }
}

/// Line protocol for a stored message: tags `fleet`, `device`, `firmware` (from the
/// device's latest session), `run`; the message's latest record is stamped with its
/// arrival time, earlier ones before it by their device-clock distance.
fn lines(m: &Decoded, stored: &Appended) -> Result<String> {
    let mut snapshots = Vec::new();
    let mut scopes: Vec<ScopeRow> = Vec::new();
    for r in &m.records {
        match r {
            OwnedRecord::Snapshot(s) => snapshots.push(*s),
            OwnedRecord::Scope(s) => scopes.push(s.clone()),
            _ => {}
        }
    }
    let latest = snapshots
        .iter()
        .map(|s| s.timestamp_us)
        .chain(scopes.iter().map(|s| s.timestamp_us))
        .max()
        .unwrap_or(0);
    let at = |us: u64| {
        let before_ns = i64::try_from(latest.saturating_sub(us))
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        m.received_ns.saturating_sub(before_ns)
    };
    let tags = [
        ("fleet", m.fleet.as_str()),
        ("device", stored.device.as_str()),
        ("firmware", stored.firmware.as_deref().unwrap_or("")),
        ("run", m.run.as_str()),
    ];
    influx_points(&tags, &snapshots, &scopes, at)
}

/// The ingest: runs until `max_messages` or `idle_exit` (or forever).
pub fn run(o: &IngestOptions) -> Result<IngestReport> {
    let mut history = History::open(&o.history)?;
    let mut options = super::options(&o.url, &o.client_id)?;
    options.set_manual_acks(true);
    let batch = o.batch.max(1);
    let (client, connection) = Client::new(options, 4 * batch + 64);
    // Unbounded, so the connection thread never waits for us and keeps sending our acks
    // (a bounded one deadlocks: it waits for room while we wait to queue an ack). What
    // waits here is bounded by the broker's in-flight limit: messages not yet acknowledged.
    let (tx, rx) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let conn_thread = {
        let stop = stop.clone();
        std::thread::spawn(move || connection_loop(connection, &tx, &stop))
    };
    let filter = match &o.share {
        Some(group) => format!("$share/{group}/{}", o.topic),
        None => o.topic.clone(),
    };
    let forwarder = o
        .forward_influx
        .as_deref()
        .map(|url| Forwarder::start(url, o.max_backlog_lines));
    let result = ingest_loop(o, &mut history, &client, &rx, &filter, forwarder.as_ref());
    stop.store(true, Ordering::Release);
    let _ = client.try_disconnect();
    drop(client);
    drop(rx);
    let _ = conn_thread.join();
    let mut report = result?;
    report.forward = forwarder.map(|f| f.finish(o.drain));
    report.peak_rss_kib = peak_rss_kib();
    Ok(report)
}

fn ingest_loop(
    o: &IngestOptions,
    history: &mut History,
    client: &Client,
    rx: &Receiver<FromBroker>,
    filter: &str,
    forwarder: Option<&Forwarder>,
) -> Result<IngestReport> {
    let mut report = IngestReport::default();
    let mut last_message = Instant::now();
    let mut first_at: Option<Instant> = None;
    let mut last_at = Instant::now();
    let mut pending: Vec<Publish> = Vec::with_capacity(o.batch);
    loop {
        if o.max_messages.is_some_and(|n| report.messages >= n) {
            break;
        }
        if o.idle_exit
            .is_some_and(|idle| last_message.elapsed() >= idle)
        {
            break;
        }
        let first = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let window_end = Instant::now() + BATCH_WINDOW;
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                FromBroker::Publish(p) => pending.push(p),
                FromBroker::Connected { session_present } => {
                    if session_present {
                        eprintln!("ingest: subscribed to {filter} (kept in the broker's session)");
                    } else {
                        client
                            .subscribe(filter, QoS::AtLeastOnce)
                            .context("subscribing")?;
                    }
                }
                FromBroker::Subscribed => {
                    eprintln!("ingest: subscribed to {filter}");
                }
                FromBroker::Disconnected(why) => {
                    report.disconnects += 1;
                    if report.disconnects <= REPORTED {
                        eprintln!("warning: broker connection lost ({why}); reconnecting");
                    }
                }
            }
            let room = pending.len() < o.batch
                && o.max_messages
                    .is_none_or(|n| report.messages + (pending.len() as u64) < n);
            if room {
                let wait = window_end.saturating_duration_since(Instant::now());
                next = rx.recv_timeout(wait).ok();
            }
        }
        if pending.is_empty() {
            continue;
        }
        let now = Instant::now();
        first_at.get_or_insert(now);
        store(&mut report, history, client, &mut pending, forwarder)?;
        last_message = Instant::now();
        last_at = last_message;
    }
    if let Some(first) = first_at {
        report.busy_seconds = last_at.duration_since(first).as_secs_f64();
        if report.busy_seconds > 0.0 {
            report.messages_per_second = report.messages as f64 / report.busy_seconds;
        }
    }
    Ok(report)
}

/// Counts a bad message, saying why for the first few.
fn bad(report: &mut IngestReport, why: &str) {
    report.bad_messages += 1;
    if report.bad_messages <= REPORTED {
        eprintln!("warning: bad message: {why}");
    } else if report.bad_messages == REPORTED + 1 {
        eprintln!("warning: more bad messages: counting them silently");
    }
}

/// Stores a batch (its records in one transaction, its heartbeats in another), then
/// acknowledges it, then forwards it.
fn store(
    report: &mut IngestReport,
    history: &mut History,
    client: &Client,
    pending: &mut Vec<Publish>,
    forwarder: Option<&Forwarder>,
) -> Result<()> {
    let received_ns = now_ns();
    let mut decoded = Vec::with_capacity(pending.len());
    let mut heartbeat_frames = Vec::new();
    for p in pending.iter() {
        match decode(p, received_ns) {
            Ok(Message::Records(d)) => decoded.push(d),
            Ok(Message::Heartbeat(h)) => heartbeat_frames.push(h),
            Ok(Message::Skipped) => report.skipped_messages += 1,
            Err(why) => bad(report, &why),
        }
    }
    let mut heartbeats: Vec<(Heartbeat<'_>, &str, &str)> = Vec::new();
    for h in &mut heartbeat_frames {
        let HeartbeatFrame {
            frame,
            fleet,
            device,
            topic,
        } = h;
        match decode_heartbeat(frame) {
            Ok(hb) => heartbeats.push((hb, fleet, device)),
            Err(e) => bad(report, &format!("{topic}: heartbeat frame: {e}")),
        }
    }
    let appends: Vec<Append<'_>> = decoded
        .iter()
        .map(|d| Append {
            run: &d.run,
            source: &d.source,
            device: &d.device,
            records: &d.records,
            corrupt: d.corrupt,
        })
        .collect();
    let stored = if appends.is_empty() {
        Vec::new()
    } else {
        history.append(&appends)?
    };
    let stored_heartbeats = heartbeats.len();
    if !heartbeats.is_empty() {
        let at_ms = now_ms();
        let new = history.store_heartbeats_each(heartbeats.iter().map(|(hb, _, _)| (hb, at_ms)))?;
        let added = new.iter().filter(|&&n| n).count();
        report.heartbeats += added as u64;
        report.duplicate_heartbeats += (heartbeats.len() - added) as u64;
        // A redelivered heartbeat is in the history already and was forwarded when it
        // was stored: the engine gets each heartbeat once.
        let mut new = new.into_iter();
        heartbeats.retain(|_| new.next().unwrap_or(false));
    }
    report.batches += 1;
    for p in pending.drain(..) {
        client.ack(&p).context("acknowledging a stored message")?;
        report.messages += 1;
    }
    report.stored_messages += (stored.len() + stored_heartbeats) as u64;
    for (d, s) in decoded.iter().zip(&stored) {
        report.corrupt_frames += d.corrupt;
        for r in &d.records {
            match r {
                OwnedRecord::Snapshot(_) => report.snapshots += 1,
                OwnedRecord::Scope(_) => report.scopes += 1,
                _ => report.other += 1,
            }
        }
        if let Some(f) = forwarder {
            f.push(lines(d, s)?);
        }
    }
    if let Some(f) = forwarder {
        // A device's latest heartbeat of the batch is stamped with the arrival time,
        // earlier ones before it by their uptime distance (distinct points in the engine).
        let mut latest: HashMap<&str, u64> = HashMap::new();
        for (hb, _, device) in &heartbeats {
            let at = latest.entry(device).or_insert(0);
            *at = (*at).max(hb.uptime_ms);
        }
        for (hb, fleet, device) in &heartbeats {
            let before_ms = latest[device].saturating_sub(hb.uptime_ms);
            let before_ns = i64::try_from(before_ms)
                .unwrap_or(i64::MAX)
                .saturating_mul(1_000_000);
            f.push(heartbeat_points(
                &[("fleet", fleet), ("device", device)],
                hb,
                received_ns.saturating_sub(before_ns),
            )?);
        }
    }
    Ok(())
}
