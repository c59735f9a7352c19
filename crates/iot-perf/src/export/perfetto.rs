//! Chrome/Perfetto trace-event JSON from trace frames (`iot-perf export --format perfetto`).
//!
//! The device's trace frames ([`iot_performance::wire::decode_trace_frame`]) are decoded
//! into absolute-time events ([`ChunkDecoder`]) and laid out as tracks: one per Embassy
//! task (its polls as slices), one per interrupt handler, one for the executor (idle
//! periods) and one for code outside tasks and handlers (`main`). Scopes are nested slices
//! on the track of the context they ran in, user values are counters, markers and task
//! wake-ups are instants, and every gap (events lost on the device, or a corrupt frame)
//! is a global instant event, so a gap is never silent. Slices still open at a gap are
//! closed there and say so (`"cut_by_gap": true`): their end was lost.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use iot_performance::trace::{ChunkDecoder, EventKind, TraceEvent};
use iot_performance::wire::{FrameError, TRACE_MAGIC, decode_trace_frame};
use serde_json::{Value, json};

const PID: u32 = 1;
const MAIN_TID: u32 = 1;
const EXECUTOR_TID: u32 = 2;
const TASK_TID: u32 = 1_000;
const ISR_TID: u32 = 100_000;

/// What the trace frames of a capture decoded to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TraceCapture {
    /// The events in stream order (gaps included).
    pub events: Vec<TraceEvent>,
    /// Trace frames that failed their checks (each shown as a gap of unknown size).
    pub corrupt_frames: usize,
}

/// Decodes every trace frame of a raw capture (other frames and text are skipped).
pub fn decode_capture(bytes: &[u8]) -> TraceCapture {
    let mut capture = TraceCapture::default();
    let mut decoder = ChunkDecoder::new();
    for segment in bytes.split(|&b| b == 0).filter(|f| f.len() > 2) {
        match find_chunk(segment) {
            Some(Ok(chunk)) => decode_chunk(&mut decoder, &chunk, &mut capture),
            Some(Err(())) => capture.corrupt_frames += 1,
            None => {} // a record frame, or text: not ours
        }
    }
    capture
}

/// The chunk of the trace frame in `segment`. Text the device printed lands in front of
/// a frame, which starts at a COBS code byte followed by the magic: each such position
/// is tried. `Err` when one looked like a trace frame but failed its checks.
fn find_chunk(segment: &[u8]) -> Option<Result<Vec<u8>, ()>> {
    let mut damaged = false;
    for start in (0..segment.len() - 2).filter(|&i| segment[i + 1..i + 3] == TRACE_MAGIC) {
        let mut frame = segment[start..].to_vec();
        match decode_trace_frame(&mut frame) {
            Ok(chunk) => return Some(Ok(chunk.to_vec())),
            Err(FrameError::CrcMismatch { .. } | FrameError::UnsupportedVersion { .. }) => {
                damaged = true;
            }
            Err(_) => {}
        }
    }
    damaged.then_some(Err(()))
}

fn decode_chunk(decoder: &mut ChunkDecoder, chunk: &[u8], capture: &mut TraceCapture) {
    let Ok(events) = decoder.decode(chunk) else {
        capture.corrupt_frames += 1;
        return;
    };
    for event in events {
        match event {
            Ok(event) => capture.events.push(event),
            Err(_) => {
                capture.corrupt_frames += 1;
                return;
            }
        }
    }
}

/// One open slice.
struct Open {
    name: String,
    start: u64,
    scope: Option<u32>,
}

/// Lays the events out as trace-event JSON.
struct Layout<'a> {
    hz: u64,
    scope_names: &'a BTreeMap<u32, String>,
    out: Vec<Value>,
    /// Open slices per track.
    open: BTreeMap<u32, Vec<Open>>,
    /// The task being polled, and the interrupt handlers running (innermost last).
    task: Option<u32>,
    isrs: Vec<u32>,
    tracks: BTreeMap<u32, String>,
}

impl Layout<'_> {
    fn us(&self, ticks: u64) -> f64 {
        ticks as f64 * 1e6 / self.hz as f64
    }

    fn track(&mut self, tid: u32, name: impl FnOnce() -> String) -> u32 {
        self.tracks.entry(tid).or_insert_with(name);
        tid
    }

    fn current(&mut self) -> u32 {
        if let Some(&isr) = self.isrs.last() {
            ISR_TID + isr
        } else if let Some(task) = self.task {
            TASK_TID + task
        } else {
            self.track(MAIN_TID, || "main".to_owned())
        }
    }

    fn begin(&mut self, tid: u32, name: String, start: u64, scope: Option<u32>) {
        self.open
            .entry(tid)
            .or_default()
            .push(Open { name, start, scope });
    }

    fn complete(&mut self, tid: u32, slice: &Open, end: u64, cut: bool) {
        let mut event = json!({
            "ph": "X", "pid": PID, "tid": tid, "name": slice.name,
            "ts": self.us(slice.start), "dur": self.us(end.saturating_sub(slice.start)),
        });
        if cut {
            event["args"] = json!({ "cut_by_gap": true });
        }
        self.out.push(event);
    }

    /// Closes the innermost slice on `tid` if it is `scope` (or any slice when `None`).
    fn end(&mut self, tid: u32, scope: Option<u32>, end: u64) {
        let Some(stack) = self.open.get_mut(&tid) else {
            return;
        };
        if stack.last().is_some_and(|open| open.scope == scope)
            && let Some(slice) = stack.pop()
        {
            self.complete(tid, &slice, end, false);
        }
    }

    fn instant(&mut self, tid: Option<u32>, name: String, time: u64, args: Value) {
        let mut event =
            json!({ "ph": "i", "pid": PID, "name": name, "ts": self.us(time), "args": args });
        match tid {
            Some(tid) => {
                event["tid"] = json!(tid);
                event["s"] = json!("t");
            }
            None => event["s"] = json!("g"),
        }
        self.out.push(event);
    }

    fn gap(&mut self, time: u64, lost: Option<u32>) {
        let open = std::mem::take(&mut self.open);
        for (tid, stack) in open {
            for slice in stack.iter().rev() {
                self.complete(tid, slice, time, true);
            }
        }
        self.task = None;
        self.isrs.clear();
        let name = match lost {
            Some(n) => format!("gap: {n} events lost"),
            None => "gap: corrupt frame".to_owned(),
        };
        self.instant(None, name, time, json!({ "lost": lost }));
    }

    fn scope_name(&self, id: u32) -> String {
        self.scope_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("scope {id}"))
    }

    fn event(&mut self, e: &TraceEvent) {
        let Some(kind) = e.kind else {
            return self.gap(e.time, Some(e.lost));
        };
        match kind {
            EventKind::ScopeEnter => {
                let tid = self.current();
                let name = self.scope_name(e.id);
                self.begin(tid, name, e.time, Some(e.id));
            }
            EventKind::ScopeExit => {
                let tid = self.current();
                self.end(tid, Some(e.id), e.time);
            }
            EventKind::PollBegin => {
                let tid = self.track(TASK_TID + e.id, || format!("task {}", e.id));
                self.end(EXECUTOR_TID, None, e.time);
                self.task = Some(e.id);
                self.begin(tid, "poll".to_owned(), e.time, None);
            }
            EventKind::PollEnd => {
                self.end(TASK_TID + e.id, None, e.time);
                self.task = None;
            }
            EventKind::TaskReady => {
                let tid = self.track(TASK_TID + e.id, || format!("task {}", e.id));
                self.instant(Some(tid), "ready".to_owned(), e.time, json!({}));
            }
            EventKind::Idle => {
                let tid = self.track(EXECUTOR_TID, || "executor".to_owned());
                self.begin(tid, "idle".to_owned(), e.time, None);
            }
            EventKind::IsrEnter => {
                let tid = self.track(ISR_TID + e.id, || format!("ISR {}", e.id));
                self.isrs.push(e.id);
                self.begin(tid, format!("ISR {}", e.id), e.time, None);
            }
            EventKind::IsrExit => {
                if self.isrs.last() == Some(&e.id) {
                    self.isrs.pop();
                    self.end(ISR_TID + e.id, None, e.time);
                }
            }
            EventKind::Marker => {
                let tid = self.current();
                self.instant(Some(tid), format!("marker {}", e.id), e.time, json!({}));
            }
            EventKind::Value => self.out.push(json!({
                "ph": "C", "pid": PID, "name": format!("value {}", e.id),
                "ts": self.us(e.time), "args": { "value": e.value },
            })),
        }
    }
}

/// The trace-event JSON of `capture`, times converted at `ticks_per_second`; scope ids
/// named from `scope_names` (the device's registry slots), else `scope N`.
pub fn perfetto(
    capture: &TraceCapture,
    ticks_per_second: u64,
    scope_names: &BTreeMap<u32, String>,
) -> Result<String> {
    if ticks_per_second == 0 {
        bail!("--ticks-per-second must be above 0");
    }
    let mut layout = Layout {
        hz: ticks_per_second,
        scope_names,
        out: Vec::new(),
        open: BTreeMap::new(),
        task: None,
        isrs: Vec::new(),
        tracks: BTreeMap::new(),
    };
    let end = capture.events.last().map_or(0, |e| e.time);
    for event in &capture.events {
        layout.event(event);
    }
    for _ in 0..capture.corrupt_frames {
        layout.gap(end, None);
    }
    let mut events = vec![json!({
        "ph": "M", "pid": PID, "name": "process_name", "args": { "name": "device" },
    })];
    for (tid, name) in &layout.tracks {
        events.push(json!({
            "ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": { "name": name },
        }));
    }
    events.append(&mut layout.out);
    let doc = json!({ "traceEvents": events, "displayTimeUnit": "ns" });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// Parses `INDEX=NAME` scope names.
pub fn parse_scope_names(pairs: &[String]) -> Result<BTreeMap<u32, String>> {
    let mut names = BTreeMap::new();
    for pair in pairs {
        let Some((index, name)) = pair.split_once('=') else {
            bail!("--scope-name {pair:?}: expected INDEX=NAME");
        };
        let index: u32 = index
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("--scope-name {pair:?}: {index:?} is not an index"))?;
        names.insert(index, name.to_owned());
    }
    Ok(names)
}
