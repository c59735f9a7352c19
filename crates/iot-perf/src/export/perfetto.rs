//! Chrome/Perfetto trace-event JSON (`iot-perf export --format perfetto`) from a run's
//! trace in the history, or from a raw capture of the device link.
//!
//! The trace is laid out by [`crate::timeline`]: one track per Embassy task (its polls as
//! slices), one per interrupt handler, one for the executor (idle periods) and one for
//! code outside tasks and handlers (`main`). Scopes are nested slices on the track of the
//! context they ran in, user values are counters, markers and task wake-ups are instants,
//! and every gap (events lost on the device, or a damaged trace frame) is a global
//! instant event, so a gap is never silent. Slices still open at a gap are closed there
//! and say so (`"cut_by_gap": true`); slices open when the trace ends say
//! `"unfinished": true`.
//!
//! The writer streams: one JSON line per event straight to the output, no per-event
//! allocation, so ten million events export in seconds (docs/performance.md, "Trace on
//! the host").

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Result, bail};

use crate::db::{TraceDecoder, TraceItem};
use crate::frames::{FrameReader, Item};
use crate::timeline::{Cut, Instant, Layout, Slice, SliceName, TimelineSink, Track, TrackNames};

const PID: u32 = 1;

fn tid(track: Track) -> u64 {
    match track {
        Track::Main => 1,
        Track::Executor => 2,
        Track::Task(id) => 1_000 + u64::from(id),
        Track::Isr(id) => 100_000 + u64::from(id),
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    /// Events decoded (gaps not counted).
    pub events: u64,
    /// Events the device said it lost.
    pub lost: u64,
    /// Gaps of unknown size (damaged trace frames).
    pub damaged: u64,
}

/// A time in nanoseconds, printed as microseconds (`12.345`).
struct Micros(u128);

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// The JSON side of the layout.
struct Json<W> {
    out: W,
    /// Ticks per second of the device clock.
    hz: u128,
    /// Scope names by slot, already JSON-quoted.
    names: BTreeMap<u32, String>,
    /// Task and handler names of the tracks.
    tracks: TrackNames,
}

impl<W: Write> Json<W> {
    /// `ticks` as microseconds with three decimals (whole nanoseconds, integer
    /// arithmetic: exact, and much cheaper to print than a float).
    fn ts(&self, ticks: u64) -> Micros {
        Micros(u128::from(ticks) * 1_000_000_000 / self.hz)
    }

    fn slice_name(&mut self, name: SliceName) -> std::io::Result<()> {
        match name {
            SliceName::Scope(id) => match self.names.get(&id) {
                Some(quoted) => self.out.write_all(quoted.as_bytes()),
                None => write!(self.out, "\"scope {id}\""),
            },
            SliceName::Poll => self.out.write_all(b"\"poll\""),
            SliceName::Idle => self.out.write_all(b"\"idle\""),
            SliceName::Isr(id) => write!(self.out, "\"ISR {id}\""),
        }
    }
}

impl<W: Write> TimelineSink for Json<W> {
    fn track(&mut self, track: Track) -> std::io::Result<()> {
        writeln!(
            self.out,
            ",{{\"ph\":\"M\",\"pid\":{PID},\"tid\":{},\"name\":\"thread_name\",\"args\":{{\"name\":{}}}}}",
            tid(track),
            serde_json::to_string(&track.name(&self.tracks)).map_err(std::io::Error::other)?
        )
    }

    fn slice(&mut self, slice: &Slice) -> std::io::Result<()> {
        let (ts, dur) = (self.ts(slice.start), self.ts(slice.end - slice.start));
        write!(
            self.out,
            ",{{\"ph\":\"X\",\"pid\":{PID},\"tid\":{},\"name\":",
            tid(slice.track)
        )?;
        self.slice_name(slice.name)?;
        write!(self.out, ",\"ts\":{ts},\"dur\":{dur}")?;
        match slice.cut {
            None => self.out.write_all(b"}\n"),
            Some(Cut::Gap) => self.out.write_all(b",\"args\":{\"cut_by_gap\":true}}\n"),
            Some(Cut::End) => self.out.write_all(b",\"args\":{\"unfinished\":true}}\n"),
        }
    }

    fn instant(&mut self, track: Option<Track>, what: Instant, time: u64) -> std::io::Result<()> {
        let ts = self.ts(time);
        self.out.write_all(b",{\"ph\":\"i\",\"pid\":1,\"name\":")?;
        match what {
            Instant::Ready => self.out.write_all(b"\"ready\",\"args\":{}")?,
            Instant::Marker(id) => write!(self.out, "\"marker {id}\",\"args\":{{}}")?,
            Instant::Gap(Some(n)) => {
                write!(
                    self.out,
                    "\"gap: {n} events lost\",\"args\":{{\"lost\":{n}}}"
                )?;
            }
            Instant::Gap(None) => self
                .out
                .write_all(b"\"gap: corrupt frame\",\"args\":{\"lost\":null}")?,
        }
        match track {
            Some(track) => writeln!(
                self.out,
                ",\"ts\":{ts},\"s\":\"t\",\"tid\":{}}}",
                tid(track)
            ),
            None => writeln!(self.out, ",\"ts\":{ts},\"s\":\"g\"}}"),
        }
    }

    fn counter(&mut self, series: u32, time: u64, value: i32) -> std::io::Result<()> {
        let ts = self.ts(time);
        writeln!(
            self.out,
            ",{{\"ph\":\"C\",\"pid\":{PID},\"name\":\"value {series}\",\"ts\":{ts},\"args\":{{\"value\":{value}}}}}"
        )
    }
}

/// Writes a trace as trace-event JSON while it is read: feed it the stored items in
/// order ([`PerfettoWriter::item`]), then [`PerfettoWriter::finish`].
pub struct PerfettoWriter<W: Write> {
    json: Json<W>,
    layout: Layout,
    decoder: TraceDecoder,
    counts: ExportCounts,
}

impl<W: Write> PerfettoWriter<W> {
    /// Starts the document on `out`; times are converted at `ticks_per_second`, scope ids
    /// named from `scope_names` (the device's registry slots), else `scope N`, task and
    /// handler tracks from `tracks`.
    pub fn new(
        mut out: W,
        ticks_per_second: u64,
        scope_names: &BTreeMap<u32, String>,
        tracks: &TrackNames,
    ) -> Result<Self> {
        if ticks_per_second == 0 {
            bail!("the clock rate (ticks per second) must be above 0");
        }
        out.write_all(
            b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"device\"}}\n",
        )?;
        let names = scope_names
            .iter()
            .map(|(&id, name)| Ok((id, serde_json::to_string(name)?)))
            .collect::<Result<_>>()?;
        Ok(Self {
            json: Json {
                out,
                hz: u128::from(ticks_per_second),
                names,
                tracks: tracks.clone(),
            },
            layout: Layout::new(),
            decoder: TraceDecoder::new(),
            counts: ExportCounts::default(),
        })
    }

    /// Lays out one stored item (a chunk, or a damaged frame).
    pub fn item(&mut self, item: TraceItem<'_>) -> Result<()> {
        let Self {
            json,
            layout,
            decoder,
            counts,
        } = self;
        let mut result = Ok(());
        decoder.item(item, |event| {
            match (event.kind, event.lost) {
                (Some(_), _) => counts.events += 1,
                (None, 0) => counts.damaged += 1,
                (None, n) => counts.lost += u64::from(n),
            }
            if result.is_ok() {
                result = layout.event(json, &event);
            }
        });
        Ok(result?)
    }

    /// Closes what is still open and ends the document; returns what was written.
    pub fn finish(mut self) -> Result<ExportCounts> {
        self.layout.finish(&mut self.json)?;
        self.json.out.write_all(b"]}\n")?;
        self.json.out.flush()?;
        Ok(self.counts)
    }
}

/// Writes the trace frames of a raw capture (other frames and text are skipped) to `out`.
pub fn export_capture(
    input: impl std::io::Read,
    out: impl Write,
    ticks_per_second: u64,
    scope_names: &BTreeMap<u32, String>,
) -> Result<ExportCounts> {
    let mut writer =
        PerfettoWriter::new(out, ticks_per_second, scope_names, &TrackNames::default())?;
    for item in FrameReader::new(input) {
        match item {
            Item::Trace(chunk) => writer.item(TraceItem::Chunk(&chunk))?,
            Item::Corrupt { trace: true, .. } => writer.item(TraceItem::Corrupt)?,
            Item::Record(_) | Item::Heartbeat(_) | Item::Corrupt { .. } => {}
        }
    }
    writer.finish()
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
