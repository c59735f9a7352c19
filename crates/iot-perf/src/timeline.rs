//! Decoded trace events laid out as a timeline: tracks (one per Embassy task, one per
//! interrupt handler, one for the executor's idle periods, one for code outside tasks and
//! handlers), nested slices on them, instants and counters. The Perfetto export and the
//! HTML timeline both draw from this one layout, event by event, without holding the
//! trace in memory.
//!
//! Scopes nest on the track of the context they ran in (the innermost running handler,
//! else the task being polled, else `main`). A gap (events lost on the device, or a
//! trace frame that failed its checks) closes every open slice at its time, marked as cut
//! there, and is reported itself, so a gap is never silent. Slices still open when the
//! trace ends are closed at its last event, marked as unfinished.

use std::collections::BTreeMap;

use iot_performance::trace::{EventKind, TraceEvent};

/// Where a slice is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// Code outside tasks and interrupt handlers.
    Main,
    /// The executor (its idle periods).
    Executor,
    /// An Embassy task, by task-table slot.
    Task(u32),
    /// An interrupt handler, by its id.
    Isr(u32),
}

impl Track {
    /// The track's display name: a task's or handler's name from `names`, else `task N` /
    /// `ISR N`.
    pub fn name(self, names: &TrackNames) -> String {
        match self {
            Track::Main => "main".to_owned(),
            Track::Executor => "executor".to_owned(),
            // An Embassy task may be called `main` (the executor's main task): that name
            // is the untasked track's, so such a task keeps a `task` prefix.
            Track::Task(id) => match names.tasks.get(&id) {
                Some(name) if name != "main" && name != "executor" => name.clone(),
                Some(name) => format!("task {name}"),
                None => format!("task {id}"),
            },
            Track::Isr(id) => match names.isrs.get(&id) {
                Some(name) => format!("ISR {name}"),
                None => format!("ISR {id}"),
            },
        }
    }
}

/// The names a run gave its tasks and interrupt handlers, by the ids its trace calls
/// them by (read from the run's task and interrupt rows, `History::trace_track_names`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackNames {
    /// Task names by task-table slot.
    pub tasks: BTreeMap<u32, String>,
    /// Interrupt handler names by handler id.
    pub isrs: BTreeMap<u32, String>,
}

/// What a slice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceName {
    /// A profiled scope, by registry slot.
    Scope(u32),
    /// A poll of the track's task.
    Poll,
    /// The executor found nothing to run.
    Idle,
    /// A run of the track's interrupt handler.
    Isr(u32),
}

/// Why a slice ends where it does, when it is not its own end event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Events were lost here: the real end is unknown.
    Gap,
    /// The trace ended while it was open.
    End,
}

/// A finished slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// Its track.
    pub track: Track,
    /// What ran.
    pub name: SliceName,
    /// Start, in device ticks.
    pub start: u64,
    /// End, in device ticks.
    pub end: u64,
    /// Nesting depth on its track (0: outermost).
    pub depth: usize,
    /// Set when the end was not seen.
    pub cut: Option<Cut>,
}

/// A point event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instant {
    /// A task was woken.
    Ready,
    /// A user marker.
    Marker(u32),
    /// Events lost here: how many (`None`: unknown, a damaged trace frame).
    Gap(Option<u32>),
}

/// Receives the layout as it is built.
pub trait TimelineSink {
    /// A track appears (once per track, before anything on it).
    fn track(&mut self, track: Track) -> std::io::Result<()>;
    /// A slice ended.
    fn slice(&mut self, slice: &Slice) -> std::io::Result<()>;
    /// An instant on a track (`None`: global, a gap).
    fn instant(&mut self, track: Option<Track>, what: Instant, time: u64) -> std::io::Result<()>;
    /// A user value of series `series`.
    fn counter(&mut self, series: u32, time: u64, value: i32) -> std::io::Result<()>;
}

#[derive(Debug, Clone, Copy)]
struct Open {
    name: SliceName,
    start: u64,
    scope: Option<u32>,
}

/// Lays out events one at a time.
#[derive(Debug, Default)]
pub struct Layout {
    open: BTreeMap<Track, Vec<Open>>,
    task: Option<u32>,
    isrs: Vec<u32>,
    last: u64,
}

impl Layout {
    /// An empty layout.
    pub fn new() -> Self {
        Self::default()
    }

    fn current(&self) -> Track {
        if let Some(&isr) = self.isrs.last() {
            Track::Isr(isr)
        } else if let Some(task) = self.task {
            Track::Task(task)
        } else {
            Track::Main
        }
    }

    fn begin<S: TimelineSink>(
        &mut self,
        sink: &mut S,
        track: Track,
        open: Open,
    ) -> std::io::Result<()> {
        let stack = match self.open.get_mut(&track) {
            Some(stack) => stack,
            None => {
                sink.track(track)?;
                self.open.entry(track).or_default()
            }
        };
        stack.push(open);
        Ok(())
    }

    fn announce<S: TimelineSink>(&mut self, sink: &mut S, track: Track) -> std::io::Result<()> {
        if let std::collections::btree_map::Entry::Vacant(slot) = self.open.entry(track) {
            sink.track(track)?;
            slot.insert(Vec::new());
        }
        Ok(())
    }

    /// Closes the innermost slice on `track` if it is `scope` (any non-scope slice when
    /// `None`).
    fn end<S: TimelineSink>(
        &mut self,
        sink: &mut S,
        track: Track,
        scope: Option<u32>,
        end: u64,
    ) -> std::io::Result<()> {
        let Some(stack) = self.open.get_mut(&track) else {
            return Ok(());
        };
        if stack.last().is_some_and(|open| open.scope == scope)
            && let Some(open) = stack.pop()
        {
            sink.slice(&Slice {
                track,
                name: open.name,
                start: open.start,
                end,
                depth: stack.len(),
                cut: None,
            })?;
        }
        Ok(())
    }

    fn close_all<S: TimelineSink>(
        &mut self,
        sink: &mut S,
        at: u64,
        cut: Cut,
    ) -> std::io::Result<()> {
        for (&track, stack) in &mut self.open {
            while let Some(open) = stack.pop() {
                sink.slice(&Slice {
                    track,
                    name: open.name,
                    start: open.start,
                    end: at.max(open.start),
                    depth: stack.len(),
                    cut: Some(cut),
                })?;
            }
        }
        self.task = None;
        self.isrs.clear();
        Ok(())
    }

    /// Lays out one event.
    pub fn event<S: TimelineSink>(&mut self, sink: &mut S, e: &TraceEvent) -> std::io::Result<()> {
        self.last = self.last.max(e.time);
        let Some(kind) = e.kind else {
            self.close_all(sink, e.time, Cut::Gap)?;
            let lost = (e.lost > 0).then_some(e.lost);
            return sink.instant(None, Instant::Gap(lost), e.time);
        };
        let id = e.id;
        match kind {
            EventKind::ScopeEnter => {
                let track = self.current();
                let open = Open {
                    name: SliceName::Scope(id),
                    start: e.time,
                    scope: Some(id),
                };
                self.begin(sink, track, open)?;
            }
            EventKind::ScopeExit => {
                let track = self.current();
                self.end(sink, track, Some(id), e.time)?;
            }
            EventKind::PollBegin => {
                self.end(sink, Track::Executor, None, e.time)?;
                self.task = Some(id);
                let open = Open {
                    name: SliceName::Poll,
                    start: e.time,
                    scope: None,
                };
                self.begin(sink, Track::Task(id), open)?;
            }
            EventKind::PollEnd => {
                self.end(sink, Track::Task(id), None, e.time)?;
                self.task = None;
            }
            EventKind::TaskReady => {
                self.announce(sink, Track::Task(id))?;
                sink.instant(Some(Track::Task(id)), Instant::Ready, e.time)?;
            }
            EventKind::Idle => {
                let idle = self
                    .open
                    .get(&Track::Executor)
                    .and_then(|s| s.last())
                    .is_some_and(|o| o.name == SliceName::Idle);
                if !idle {
                    let open = Open {
                        name: SliceName::Idle,
                        start: e.time,
                        scope: None,
                    };
                    self.begin(sink, Track::Executor, open)?;
                }
            }
            EventKind::IsrEnter => {
                self.isrs.push(id);
                let open = Open {
                    name: SliceName::Isr(id),
                    start: e.time,
                    scope: None,
                };
                self.begin(sink, Track::Isr(id), open)?;
            }
            EventKind::IsrExit => {
                if self.isrs.last() == Some(&id) {
                    self.isrs.pop();
                    self.end(sink, Track::Isr(id), None, e.time)?;
                }
            }
            EventKind::Marker => {
                let track = self.current();
                self.announce(sink, track)?;
                sink.instant(Some(track), Instant::Marker(id), e.time)?;
            }
            EventKind::Value => sink.counter(id, e.time, e.value)?,
        }
        Ok(())
    }

    /// Ends the layout: slices still open close at the last event's time.
    pub fn finish<S: TimelineSink>(mut self, sink: &mut S) -> std::io::Result<()> {
        let last = self.last;
        self.close_all(sink, last, Cut::End)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_take_the_run_s_task_and_handler_names() {
        let names = TrackNames {
            tasks: BTreeMap::from([(0, "main".to_owned()), (1, "sensor".to_owned())]),
            isrs: BTreeMap::from([(0, "timer".to_owned())]),
        };
        let named: Vec<String> = [
            Track::Main,
            Track::Executor,
            Track::Task(0),
            Track::Task(1),
            Track::Task(2),
            Track::Isr(0),
            Track::Isr(3),
        ]
        .into_iter()
        .map(|t| t.name(&names))
        .collect();
        assert_eq!(
            named,
            [
                "main",
                "executor",
                "task main",
                "sensor",
                "task 2",
                "ISR timer",
                "ISR 3"
            ]
        );
        assert_eq!(Track::Task(1).name(&TrackNames::default()), "task 1");
    }

    #[derive(Default)]
    struct Collect {
        tracks: Vec<Track>,
        slices: Vec<Slice>,
        instants: Vec<(Option<Track>, Instant, u64)>,
        counters: Vec<(u32, u64, i32)>,
    }

    impl TimelineSink for Collect {
        fn track(&mut self, track: Track) -> std::io::Result<()> {
            self.tracks.push(track);
            Ok(())
        }
        fn slice(&mut self, slice: &Slice) -> std::io::Result<()> {
            self.slices.push(*slice);
            Ok(())
        }
        fn instant(&mut self, t: Option<Track>, what: Instant, time: u64) -> std::io::Result<()> {
            self.instants.push((t, what, time));
            Ok(())
        }
        fn counter(&mut self, series: u32, time: u64, value: i32) -> std::io::Result<()> {
            self.counters.push((series, time, value));
            Ok(())
        }
    }

    fn ev(kind: Option<EventKind>, id: u32, time: u64, lost: u32) -> TraceEvent {
        TraceEvent {
            kind,
            id,
            value: 7,
            time,
            lost,
        }
    }

    #[test]
    fn scopes_nest_in_their_context_and_gaps_cut_open_slices() {
        use EventKind::*;
        let mut layout = Layout::new();
        let mut sink = Collect::default();
        for e in [
            ev(Some(Idle), 0, 0, 0),
            ev(Some(Idle), 0, 5, 0), // coalesced: no nested idle
            ev(Some(PollBegin), 1, 10, 0),
            ev(Some(ScopeEnter), 4, 11, 0),
            ev(Some(IsrEnter), 9, 12, 0),
            ev(Some(ScopeEnter), 5, 13, 0),
            ev(Some(ScopeExit), 5, 14, 0),
            ev(Some(IsrExit), 9, 15, 0),
            ev(Some(Value), 2, 16, 0),
            ev(Some(ScopeEnter), 6, 17, 0),
            ev(None, 0, 18, 3),
            ev(Some(ScopeEnter), 8, 20, 0),
            ev(Some(Marker), 1, 21, 0),
        ] {
            layout.event(&mut sink, &e).unwrap();
        }
        layout.finish(&mut sink).unwrap();
        assert_eq!(
            sink.tracks,
            [Track::Executor, Track::Task(1), Track::Isr(9), Track::Main]
        );
        let find = |name: SliceName| *sink.slices.iter().find(|s| s.name == name).unwrap();
        assert_eq!(
            find(SliceName::Idle),
            Slice {
                track: Track::Executor,
                name: SliceName::Idle,
                start: 0,
                end: 10,
                depth: 0,
                cut: None
            }
        );
        let inner = find(SliceName::Scope(5));
        assert_eq!(
            (inner.track, inner.depth, inner.end),
            (Track::Isr(9), 1, 14)
        );
        let outer = find(SliceName::Scope(4));
        assert_eq!((outer.track, outer.depth), (Track::Task(1), 1));
        assert_eq!((outer.end, outer.cut), (18, Some(Cut::Gap)));
        let nested = find(SliceName::Scope(6));
        assert_eq!((nested.depth, nested.cut), (2, Some(Cut::Gap)));
        assert_eq!(find(SliceName::Poll).cut, Some(Cut::Gap));
        // After the gap, code runs on main; it is still open at the end.
        let after = find(SliceName::Scope(8));
        assert_eq!(
            (after.track, after.end, after.cut),
            (Track::Main, 21, Some(Cut::End))
        );
        assert_eq!(sink.counters, [(2, 16, 7)]);
        assert_eq!(
            sink.instants,
            [
                (None, Instant::Gap(Some(3)), 18),
                (Some(Track::Main), Instant::Marker(1), 21)
            ]
        );
    }
}
