//! The timeline view of the HTML report, for a run with a trace: one lane per task,
//! interrupt handler, the executor and `main` ([`crate::timeline`] lays them out), scope
//! slices nested in them, every gap marked, zoom by buttons, the mouse wheel or the URL
//! (`#timeline=START,END` in µs since the trace began); then CPU load and per-task busy
//! time per interval and the per-task and per-handler totals, computed by the library
//! ([`iot_performance::trace::busy_time`]).
//!
//! Plain SVG and a short inline script, no network. The script records the visible range
//! and the number of slices in it on the timeline (`data-view-start`, `data-view-end`,
//! `data-visible-slices`) so that a headless browser test can see the zoom work.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use iot_performance::trace::{BusyTime, TraceEvent, busy_time};

use crate::db::History;
use crate::model::Run;
use crate::palette::nth;
use crate::svg::{Line, escape, line_chart};
use crate::timeline::{Cut, Instant, Layout, Slice, SliceName, TimelineSink, Track, TrackNames};
use crate::units;

/// Events read for the report (the busy-time figures and the timeline); a longer trace is
/// cut there and the page says so (the Perfetto export takes any length).
pub const MAX_EVENTS: usize = 2_000_000;
/// Slices drawn; later ones are counted and left out (the page says how many).
pub const MAX_SLICES: usize = 20_000;
/// Intervals of the CPU-load chart.
const INTERVALS: u64 = 60;

const W: f64 = 960.0;
const LABEL: f64 = 96.0;
const RIGHT: f64 = 24.0;
const ROW: f64 = 12.0;
const LANE_PAD: f64 = 6.0;
const AXIS: f64 = 22.0;

const STYLE: &str = "#timeline svg{display:block;width:100%;height:auto;background:#fafafa;border:1px solid #ddd;cursor:grab}
#timeline .lane-label{font-size:11px;fill:#333}#timeline rect.slice{stroke:#fff;stroke-width:.3}
#timeline rect.cut{stroke:#c62828;stroke-dasharray:2 1;stroke-width:.8}#timeline line.gap{stroke:#c62828;stroke-width:1.5}
#timeline .axis text{font-size:10px;fill:#444}#timeline .axis line{stroke:#ccc}
#timeline .controls{margin:.3em 0;font-size:13px}#timeline button{margin-right:.3em}";

/// The script: lays slices, gaps and markers out for the visible range, and zooms.
const SCRIPT: &str = r"(function(){var tl=document.getElementById('timeline');if(!tl)return;
var svg=tl.querySelector('svg'),L=+tl.dataset.left,R=+tl.dataset.right,H=+tl.dataset.plotHeight,SPAN=+tl.dataset.span;
var slices=svg.querySelectorAll('rect.slice'),gaps=svg.querySelectorAll('line.gap'),marks=svg.querySelectorAll('circle.marker');
var axis=svg.querySelector('g.axis'),label=document.getElementById('timeline-range'),view=[0,SPAN],NS='http://www.w3.org/2000/svg';
function fmt(us){var a=Math.abs(us);return a>=1e6?+(us/1e6).toFixed(4)+' s':a>=1e3?+(us/1e3).toFixed(3)+' ms':+us.toFixed(2)+' µs';}
function x(t){return L+(t-view[0])/(view[1]-view[0])*(R-L);}
function show(s,e){var min=Math.min(SPAN,0.01);if(e-s<min){var c=(s+e)/2;s=c-min/2;e=c+min/2;}
if(s<0){e-=s;s=0;}if(e>SPAN){s-=e-SPAN;e=SPAN;}s=Math.max(0,s);view=[s,e];var n=0;
slices.forEach(function(r){var a=+r.dataset.s,b=+r.dataset.e;if(b<s||a>e){r.setAttribute('display','none');return;}
var xa=Math.max(L,x(a)),xb=Math.min(R,x(b));r.setAttribute('x',xa.toFixed(2));r.setAttribute('width',Math.max(0.4,xb-xa).toFixed(2));r.removeAttribute('display');n++;});
gaps.forEach(function(g){var t=+g.dataset.t;if(t<s||t>e){g.setAttribute('display','none');return;}g.setAttribute('x1',x(t).toFixed(2));g.setAttribute('x2',x(t).toFixed(2));g.removeAttribute('display');});
marks.forEach(function(m){var t=+m.dataset.t;if(t<s||t>e){m.setAttribute('display','none');return;}m.setAttribute('cx',x(t).toFixed(2));m.removeAttribute('display');});
while(axis.firstChild)axis.removeChild(axis.firstChild);var raw=(e-s)/6,p=Math.pow(10,Math.floor(Math.log10(raw))),q=raw/p,step=(q<=1?1:q<=2?2:q<=5?5:10)*p;
for(var t=Math.ceil(s/step)*step;t<=e+1e-9;t+=step){var l=document.createElementNS(NS,'line');l.setAttribute('x1',x(t));l.setAttribute('x2',x(t));l.setAttribute('y1',0);l.setAttribute('y2',H);axis.appendChild(l);
var tx=document.createElementNS(NS,'text');tx.setAttribute('x',x(t));tx.setAttribute('y',H+14);tx.setAttribute('text-anchor','middle');tx.textContent=fmt(t);axis.appendChild(tx);}
tl.setAttribute('data-view-start',s.toFixed(3));tl.setAttribute('data-view-end',e.toFixed(3));tl.setAttribute('data-visible-slices',String(n));
label.textContent=fmt(s)+' … '+fmt(e)+' ('+n+' slices)';}
function zoom(f,c){var w=view[1]-view[0];if(c===undefined)c=view[0]+w/2;var r=(c-view[0])/w,nw=w*f;show(c-nw*r,c-nw*r+nw);}
function px(ev){var b=svg.getBoundingClientRect();return (ev.clientX-b.left)/b.width*svg.viewBox.baseVal.width;}
function at(ev){return view[0]+(px(ev)-L)/(R-L)*(view[1]-view[0]);}
document.getElementById('timeline-in').onclick=function(){zoom(0.5);};document.getElementById('timeline-out').onclick=function(){zoom(2);};
document.getElementById('timeline-reset').onclick=function(){show(0,SPAN);};
svg.addEventListener('wheel',function(ev){ev.preventDefault();zoom(ev.deltaY<0?0.8:1.25,at(ev));},{passive:false});
var drag=null;svg.addEventListener('mousedown',function(ev){drag={x:px(ev),v:view.slice()};});window.addEventListener('mouseup',function(){drag=null;});
svg.addEventListener('mousemove',function(ev){if(!drag)return;var d=(px(ev)-drag.x)/(R-L)*(drag.v[1]-drag.v[0]);show(drag.v[0]-d,drag.v[1]-d);});
var m=/timeline=([0-9.]+),([0-9.]+)/.exec(location.hash);if(m)show(+m[1],+m[2]);else show(0,SPAN);})();";

/// What a run's trace holds, read for the report.
pub struct TraceView {
    /// Events, oldest first (gaps included), at most [`MAX_EVENTS`].
    pub events: Vec<TraceEvent>,
    /// Events beyond [`MAX_EVENTS`], not read.
    pub left_out: u64,
    /// Ticks per second of the device clock.
    pub ticks_per_second: u64,
    /// Scope names by registry slot.
    pub scope_names: BTreeMap<u32, String>,
    /// Task and interrupt handler names.
    pub track_names: TrackNames,
}

/// The timeline section for `run`, when it has a trace.
pub fn section(history: &History, run: &Run) -> Result<Option<String>> {
    let Some((events, left_out)) = history.trace_events(run.id, MAX_EVENTS)? else {
        return Ok(None);
    };
    let Some(ticks_per_second) = history.ticks_per_second(run.id)? else {
        return Ok(Some(
            "<h2>Timeline</h2><p>Not drawn: this run has a trace but does not say its clock rate (no session record and no scope rows). `iot-perf export --format perfetto --ticks-per-second HZ` exports it.</p>".to_owned(),
        ));
    };
    Ok(Some(render(&TraceView {
        events,
        left_out,
        ticks_per_second,
        scope_names: history.trace_scope_names(run.id)?,
        track_names: history.trace_track_names(run.id)?,
    })))
}

/// Collects the layout for drawing.
#[derive(Default)]
struct Drawn {
    tracks: Vec<Track>,
    slices: Vec<Slice>,
    slices_left_out: u64,
    depth: BTreeMap<Track, usize>,
    gaps: Vec<(u64, Option<u32>)>,
    markers: Vec<(Track, u32, u64)>,
    values: BTreeMap<u32, Vec<(u64, i32)>>,
}

impl TimelineSink for Drawn {
    fn track(&mut self, track: Track) -> std::io::Result<()> {
        self.tracks.push(track);
        Ok(())
    }

    fn slice(&mut self, slice: &Slice) -> std::io::Result<()> {
        if self.slices.len() < MAX_SLICES {
            self.slices.push(*slice);
            let depth = self.depth.entry(slice.track).or_default();
            *depth = (*depth).max(slice.depth);
        } else {
            self.slices_left_out += 1;
        }
        Ok(())
    }

    fn instant(&mut self, track: Option<Track>, what: Instant, time: u64) -> std::io::Result<()> {
        match (track, what) {
            (None, Instant::Gap(lost)) => self.gaps.push((time, lost)),
            (Some(track), Instant::Marker(id)) => self.markers.push((track, id, time)),
            _ => {} // wake-ups: the Perfetto export shows them
        }
        Ok(())
    }

    fn counter(&mut self, series: u32, time: u64, value: i32) -> std::io::Result<()> {
        self.values.entry(series).or_default().push((time, value));
        Ok(())
    }
}

fn slice_label(name: SliceName, names: &BTreeMap<u32, String>) -> String {
    match name {
        SliceName::Scope(id) => names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("scope {id}")),
        SliceName::Poll => "poll".to_owned(),
        SliceName::Idle => "idle".to_owned(),
        SliceName::Isr(id) => format!("ISR {id}"),
    }
}

fn slice_color(name: SliceName) -> &'static str {
    match name {
        SliceName::Scope(id) => nth(id as usize),
        SliceName::Poll => "#9ecae1",
        SliceName::Idle => "#d9d9d9",
        SliceName::Isr(_) => "#ff7f0e",
    }
}

/// The timeline section of the HTML report.
pub fn render(view: &TraceView) -> String {
    let hz = view.ticks_per_second as f64;
    let t0 = view.events.first().map_or(0, |e| e.time);
    let us = |ticks: u64| ticks.saturating_sub(t0) as f64 * 1e6 / hz;
    let mut drawn = Drawn::default();
    let mut layout = Layout::new();
    for event in &view.events {
        // The sink never fails.
        let _ = layout.event(&mut drawn, event);
    }
    let _ = layout.finish(&mut drawn);
    let span = view.events.last().map_or(0.0, |e| us(e.time)).max(0.01);
    let busy = busy_time(
        &view.events,
        (view.events.last().map_or(0, |e| e.time) - t0)
            .div_ceil(INTERVALS)
            .max(1),
    );

    let mut s = String::new();
    let _ = write!(s, "<style>{STYLE}</style><h2>Timeline</h2>");
    let events = view.events.iter().filter(|e| e.kind.is_some()).count();
    let _ = write!(
        s,
        "<p>{events} trace events over {}; {} gaps ({} events lost on the device, {} damaged trace frames), marked in red.",
        units::duration_us(span),
        drawn.gaps.len(),
        busy.lost,
        drawn.gaps.iter().filter(|g| g.1.is_none()).count()
    );
    if view.left_out > 0 {
        let _ = write!(
            s,
            " Only the first {} events are read here ({} more): `iot-perf export --format perfetto` exports all of them.",
            view.events.len(),
            view.left_out
        );
    }
    if drawn.slices_left_out > 0 {
        let _ = write!(
            s,
            " The first {MAX_SLICES} slices are drawn ({} more are not).",
            drawn.slices_left_out
        );
    }
    s.push_str(" Zoom with the buttons or the mouse wheel, drag to pan.</p>");
    lanes(&mut s, view, &drawn, span, &us);
    intervals(&mut s, &busy, hz, &view.track_names);
    values(&mut s, &drawn, &us);
    totals(&mut s, &busy, hz, &view.track_names);
    s
}

fn lanes(s: &mut String, view: &TraceView, drawn: &Drawn, span: f64, us: &dyn Fn(u64) -> f64) {
    let mut tracks = drawn.tracks.clone();
    tracks.sort();
    let mut top = BTreeMap::new();
    let mut y = 0.0;
    for &track in &tracks {
        top.insert(track, y);
        let rows = drawn.depth.get(&track).map_or(1, |d| d + 1) as f64;
        y += rows * ROW + LANE_PAD;
    }
    let plot = y;
    let right = W - RIGHT;
    let x = |t: f64| LABEL + t / span * (right - LABEL);
    let _ = write!(
        s,
        "<div id=\"timeline\" data-left=\"{LABEL}\" data-right=\"{right}\" data-plot-height=\"{plot}\" data-span=\"{span:.3}\" data-lanes=\"{}\"><div class=\"controls\"><button id=\"timeline-in\" type=\"button\">zoom in</button><button id=\"timeline-out\" type=\"button\">zoom out</button><button id=\"timeline-reset\" type=\"button\">whole trace</button> <span id=\"timeline-range\"></span></div>",
        tracks.len()
    );
    let _ = write!(
        s,
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {}\" role=\"img\" aria-label=\"trace timeline\"><g class=\"axis\"></g>",
        plot + AXIS
    );
    for &track in &tracks {
        let y0 = top[&track];
        let name = track.name(&view.track_names);
        let _ = write!(
            s,
            "<g class=\"lane\" data-lane=\"{}\"><text class=\"lane-label\" x=\"4\" y=\"{:.1}\">{}</text>",
            escape(&name),
            y0 + ROW - 2.0,
            escape(&name)
        );
        for slice in drawn.slices.iter().filter(|sl| sl.track == track) {
            let (a, b) = (us(slice.start), us(slice.end));
            let label = slice_label(slice.name, &view.scope_names);
            let cut = match slice.cut {
                None => "",
                Some(Cut::Gap) => " cut",
                Some(Cut::End) => " unfinished",
            };
            let _ = write!(
                s,
                "<rect class=\"slice{cut}\" data-s=\"{a:.3}\" data-e=\"{b:.3}\" data-name=\"{}\" x=\"{:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{}\" fill=\"{}\"><title>{} {}, {}{}</title></rect>",
                escape(&label),
                x(a),
                y0 + slice.depth as f64 * ROW,
                (x(b) - x(a)).max(0.4),
                ROW - 1.0,
                slice_color(slice.name),
                escape(&name),
                escape(&label),
                units::duration_us(b - a),
                match slice.cut {
                    None => "",
                    Some(Cut::Gap) => " (cut by a gap)",
                    Some(Cut::End) => " (still running when the trace ended)",
                }
            );
        }
        for &(_, id, t) in drawn.markers.iter().filter(|m| m.0 == track) {
            let _ = write!(
                s,
                "<circle class=\"marker\" data-t=\"{:.3}\" cx=\"{:.2}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#000\"><title>marker {id}</title></circle>",
                us(t),
                x(us(t)),
                y0 + ROW / 2.0
            );
        }
        s.push_str("</g>");
    }
    for &(t, lost) in &drawn.gaps {
        let what = lost.map_or_else(
            || "a damaged trace frame (events lost)".to_owned(),
            |n| format!("{n} events lost"),
        );
        let _ = write!(
            s,
            "<line class=\"gap\" data-t=\"{:.3}\" data-lost=\"{}\" x1=\"{:.2}\" x2=\"{:.2}\" y1=\"0\" y2=\"{plot}\"><title>gap: {what}</title></line>",
            us(t),
            lost.map_or_else(|| "unknown".to_owned(), |n| n.to_string()),
            x(us(t)),
            x(us(t))
        );
    }
    let _ = write!(s, "</svg></div><script>{SCRIPT}</script>");
}

/// CPU load and per-task busy share per interval.
fn intervals(s: &mut String, busy: &BusyTime, hz: f64, names: &TrackNames) {
    let start = busy.start;
    let at = |t: u64| t.saturating_sub(start) as f64 / hz;
    let cpu: Vec<(f64, f64)> = busy
        .intervals
        .iter()
        .map(|i| (at(i.start), i.load() * 100.0))
        .collect();
    let mut per_task: BTreeMap<u32, Vec<(f64, f64)>> = BTreeMap::new();
    for i in &busy.intervals {
        let len = i.len_ticks().max(1) as f64;
        for task in &busy.tasks {
            let ticks = i
                .tasks
                .iter()
                .find(|(id, _)| *id == task.id)
                .map_or(0, |(_, t)| *t);
            per_task
                .entry(task.id)
                .or_default()
                .push((at(i.start), ticks as f64 / len * 100.0));
        }
    }
    if cpu.is_empty() {
        return;
    }
    let mut lines = vec![Line {
        name: "CPU load".into(),
        color: "#d62728",
        dashed: false,
        points: &cpu,
    }];
    for (k, (id, points)) in per_task.iter().enumerate() {
        lines.push(Line {
            name: Track::Task(*id).name(names),
            color: nth(k),
            dashed: false,
            points,
        });
    }
    let title = format!(
        "CPU load and task busy time per {} (from the trace)",
        units::duration_us(busy.interval_ticks as f64 * 1e6 / hz)
    );
    s.push_str(&line_chart("chart-trace-load", &title, "%", &lines));
}

/// User values over time.
fn values(s: &mut String, drawn: &Drawn, us: &dyn Fn(u64) -> f64) {
    if drawn.values.is_empty() {
        return;
    }
    let series: Vec<(u32, Vec<(f64, f64)>)> = drawn
        .values
        .iter()
        .map(|(id, points)| {
            let p = points
                .iter()
                .map(|&(t, v)| (us(t) / 1e6, f64::from(v)))
                .collect();
            (*id, p)
        })
        .collect();
    let lines: Vec<Line<'_>> = series
        .iter()
        .enumerate()
        .map(|(k, (id, points))| Line {
            name: format!("value {id}"),
            color: nth(k),
            dashed: false,
            points,
        })
        .collect();
    s.push_str(&line_chart(
        "chart-trace-values",
        "User values (from the trace)",
        "value",
        &lines,
    ));
}

/// Per-task and per-handler totals.
fn totals(s: &mut String, busy: &BusyTime, hz: f64, names: &TrackNames) {
    let span = busy.end.saturating_sub(busy.start).max(1) as f64;
    let us = |ticks: u64| ticks as f64 * 1e6 / hz;
    let _ = write!(
        s,
        "<p>CPU load over the trace: {} (time covered by a poll or an interrupt handler).</p>",
        units::percent(busy.load() * 100.0)
    );
    s.push_str("<table id=\"trace-tasks\"><tr><th>task</th><th>polls</th><th>busy</th><th>share</th><th>in interrupts</th><th>wake-ups</th></tr>");
    for t in &busy.tasks {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&Track::Task(t.id).name(names)),
            t.polls,
            escape(&units::duration_us(us(t.busy_ticks))),
            escape(&units::percent(t.busy_ticks as f64 / span * 100.0)),
            escape(&units::duration_us(us(t.isr_ticks))),
            t.wakeups
        );
    }
    s.push_str("</table><table id=\"trace-isrs\"><tr><th>interrupt handler</th><th>runs</th><th>time</th><th>longest</th></tr>");
    for i in &busy.isrs {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&Track::Isr(i.id).name(names)),
            i.count,
            escape(&units::duration_us(us(i.busy_ticks))),
            escape(&units::duration_us(us(i.max_ticks)))
        );
    }
    s.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use iot_performance::trace::EventKind;

    fn view(events: Vec<TraceEvent>) -> TraceView {
        TraceView {
            events,
            left_out: 0,
            ticks_per_second: 1_000_000,
            scope_names: BTreeMap::from([(3, "read<x>".to_owned())]),
            track_names: TrackNames::default(),
        }
    }

    fn at(kind: Option<EventKind>, id: u32, time: u64, lost: u32) -> TraceEvent {
        TraceEvent {
            kind,
            id,
            value: 0,
            time,
            lost,
        }
    }

    #[test]
    fn lanes_slices_and_gaps_are_drawn_with_escaped_names() {
        use EventKind::*;
        let html = render(&view(vec![
            at(Some(PollBegin), 1, 1_000, 0),
            at(Some(ScopeEnter), 3, 1_100, 0),
            at(Some(ScopeExit), 3, 1_300, 0),
            at(Some(PollEnd), 1, 1_500, 0),
            at(None, 0, 1_500, 4),
            at(Some(IsrEnter), 2, 2_000, 0),
            at(Some(IsrExit), 2, 2_100, 0),
        ]));
        assert!(html.contains("data-lane=\"task 1\"") && html.contains("data-lane=\"ISR 2\""));
        assert!(html.contains("data-name=\"read&lt;x&gt;\""), "{html}");
        // The scope is 100..300 µs after the first event, in the poll's row below.
        assert!(
            html.contains("data-s=\"100.000\" data-e=\"300.000\""),
            "{html}"
        );
        assert!(html.contains("class=\"gap\" data-t=\"500.000\" data-lost=\"4\""));
        assert!(
            html.contains("<td>task 1</td><td>1</td><td>500 µs</td>"),
            "{html}"
        );
    }

    #[test]
    fn a_trace_of_only_a_gap_still_renders() {
        let html = render(&view(vec![at(None, 0, 0, 9)]));
        assert!(html.contains("0 trace events"), "{html}");
        assert!(html.contains("data-lost=\"9\""));
    }
}
