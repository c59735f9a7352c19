extern crate std;
use std::string::String;
use std::vec::Vec;

use super::*;

/// A client model: refuses while disconnected, holds `room` messages in flight, or
/// acknowledges at once when `waits_for_puback`.
struct Model {
    connected: bool,
    waits_for_puback: bool,
    room: usize,
    in_flight: Vec<u16>,
    next_id: u16,
    sent: Vec<(String, Vec<u8>)>,
}

impl Model {
    fn new(waits_for_puback: bool) -> Self {
        Self {
            connected: true,
            waits_for_puback,
            room: 2,
            in_flight: Vec::new(),
            next_id: 0,
            sent: Vec::new(),
        }
    }
}

impl MqttClient for Model {
    fn publish_qos1(&mut self, topic: &str, payload: &[u8]) -> Result<Delivery, PublishError> {
        if !self.connected {
            return Err(PublishError::NotConnected);
        }
        if self.in_flight.len() >= self.room {
            return Err(PublishError::Busy);
        }
        self.sent.push((topic.into(), payload.to_vec()));
        if self.waits_for_puback {
            return Ok(Delivery::Acknowledged);
        }
        self.next_id += 1;
        self.in_flight.push(self.next_id);
        Ok(Delivery::InFlight(self.next_id))
    }
}

#[test]
fn topics_are_built_and_parsed_and_bad_names_refused() {
    let t = topic("plant-3", "node-7", TopicKind::Record).unwrap();
    assert_eq!(t.as_str(), "iotperf/v1/plant-3/node-7/record");
    let parts = parse_topic(&t).unwrap();
    assert_eq!(
        (parts.fleet, parts.device, parts.kind),
        ("plant-3", "node-7", TopicKind::Record)
    );
    assert_eq!(
        topic("a/b", "d", TopicKind::Trace),
        Err(TopicError::BadName)
    );
    assert_eq!(topic("f", "", TopicKind::Trace), Err(TopicError::BadName));
    assert_eq!(topic("f", "#", TopicKind::Trace), Err(TopicError::BadName));
    let long = "x".repeat(MAX_TOPIC_LEN);
    assert_eq!(
        topic("f", &long, TopicKind::Heartbeat),
        Err(TopicError::TooLong)
    );
    for bad in [
        "iotperf/v1/f/d",
        "iotperf/v1/f/d/heartbeat/x",
        "iotperf/v2/f/d/heartbeat",
        "iotperf/v1/f/d/snapshot",
        "iotperf/v1//d/trace",
    ] {
        assert_eq!(parse_topic(bad), None, "{bad}");
    }
}

#[test]
fn a_message_leaves_the_queue_only_when_acknowledged() {
    let mut p: MqttPublisher<4, 16> = MqttPublisher::new("f", "d").unwrap();
    let mut client = Model::new(false);
    for i in 0..3u8 {
        p.enqueue(TopicKind::Heartbeat, &[i, 0]).unwrap();
    }
    assert_eq!(p.poll(&mut client), 2, "the client has room for two");
    assert_eq!(p.queued(), 3);
    // The second PUBACK first: that message goes, the others stay, in order.
    assert!(p.acknowledged(2));
    assert!(!p.acknowledged(2), "once");
    assert_eq!(p.queued(), 2);
    client.in_flight.retain(|&id| id != 2);
    assert_eq!(p.poll(&mut client), 1);
    let payloads: Vec<u8> = client.sent.iter().map(|(_, b)| b[0]).collect();
    assert_eq!(payloads, [0, 1, 2]);
    // The connection drops before the other PUBACKs: both are sent again.
    client.in_flight.clear();
    p.connection_lost();
    client.connected = false;
    assert_eq!(p.poll(&mut client), 0);
    assert_eq!(p.queued(), 2);
    client.connected = true;
    assert_eq!(p.poll(&mut client), 2);
    let resent: Vec<u8> = client.sent[3..].iter().map(|(_, b)| b[0]).collect();
    assert_eq!(resent, [0, 2]);
    assert!(
        !p.acknowledged(3),
        "a PUBACK of the lost connection is stale"
    );
    assert!(p.acknowledged(4) && p.acknowledged(5));
    assert_eq!((p.queued(), p.dropped()), (0, 0));
}

#[test]
fn a_full_queue_drops_and_counts_and_waiting_clients_ack_at_once() {
    let mut p: MqttPublisher<2, 4> = MqttPublisher::new("f", "d").unwrap();
    assert!(p.enqueue(TopicKind::Record, &[1]).is_ok());
    assert!(p.enqueue(TopicKind::Record, &[2]).is_ok());
    assert_eq!(p.enqueue(TopicKind::Record, &[3]), Err(Dropped));
    assert_eq!(
        p.enqueue(TopicKind::Record, &[0; 5]),
        Err(Dropped),
        "too long"
    );
    assert_eq!(p.dropped(), 2);
    let mut client = Model::new(true);
    assert_eq!(p.poll(&mut client), 2);
    assert_eq!(p.queued(), 0);
    assert_eq!(client.sent[0].0, "iotperf/v1/f/d/record");
    assert_eq!(p.topic(TopicKind::Trace), "iotperf/v1/f/d/trace");
}
