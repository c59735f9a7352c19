//! The device-side reporter: records in, frames out to a sink, best effort.

use super::record::clip_name;
use super::{
    ByteSink, DroppedRecord, InterruptRecord, MAX_FRAME_LEN, Record, ScopeRecord, SessionRecord,
    SnapshotRecord, TaskRecord, encode_frame,
};
use crate::PerformanceSnapshot;
use crate::interrupts::IsrStats;

/// Sends snapshots and scope rows as frames to a [`ByteSink`], never blocking or failing.
///
/// A frame the sink refuses is dropped and counted. Before the next frame that gets
/// through, the reporter sends a [`Record::Dropped`] with the running total, so the host
/// knows exactly how much it missed. Names longer than
/// [`MAX_NAME_LEN`](super::MAX_NAME_LEN) are cut. Frames are built on the stack
/// ([`MAX_FRAME_LEN`] bytes): no heap, no locks; use one reporter per context.
#[derive(Debug)]
pub struct Reporter<S> {
    sink: S,
    sent: u32,
    dropped: u32,
    dropped_reported: u32,
}

impl<S: ByteSink> Reporter<S> {
    /// A reporter writing to `sink`.
    pub fn new(sink: S) -> Self {
        Self {
            sink,
            sent: 0,
            dropped: 0,
            dropped_reported: 0,
        }
    }

    /// Announces the device, its firmware and its tick frequency.
    pub fn session(&mut self, device: &str, firmware: &str, ticks_per_second: u64) -> bool {
        self.send(&Record::Session(SessionRecord {
            device: clip_name(device),
            firmware: clip_name(firmware),
            ticks_per_second,
        }))
    }

    /// Sends one snapshot; `false` when it was dropped.
    pub fn snapshot(&mut self, snapshot: &PerformanceSnapshot) -> bool {
        self.snapshot_record(&SnapshotRecord::from(snapshot))
    }

    /// Sends one snapshot already in wire form.
    pub fn snapshot_record(&mut self, record: &SnapshotRecord) -> bool {
        self.send(&Record::Snapshot(*record))
    }

    /// Sends one scope row; `false` when it was dropped.
    pub fn scope(&mut self, row: &ScopeRecord<'_>) -> bool {
        let row = ScopeRecord {
            name: clip_name(row.name),
            ..row.clone()
        };
        self.send(&Record::Scope(row))
    }

    /// Sends every row of a scope table; returns how many got through.
    pub fn scopes<'r>(&mut self, rows: impl IntoIterator<Item = ScopeRecord<'r>>) -> usize {
        rows.into_iter().filter(|row| self.scope(row)).count()
    }

    /// Sends the profiler's whole scope table ([`crate::timing::scopes`]), stamped with
    /// `timestamp_us`; returns how many rows got through.
    pub fn scope_table(&mut self, timestamp_us: u64) -> usize {
        self.scopes(
            crate::timing::scopes().map(|stats| ScopeRecord::from_stats(&stats, timestamp_us)),
        )
    }

    /// Sends one task row; `false` when it was dropped.
    pub fn task(&mut self, row: &TaskRecord<'_>) -> bool {
        let row = TaskRecord {
            name: row.name.map(clip_name),
            ..row.clone()
        };
        self.send(&Record::Task(row))
    }

    /// Sends the Embassy task table ([`crate::embassy::tasks`]), one row per followed
    /// task, stamped with `timestamp_us`; returns how many rows got through.
    #[cfg(feature = "embassy")]
    pub fn task_table(&mut self, timestamp_us: u64) -> usize {
        crate::embassy::tasks()
            .filter(|stats| self.task(&TaskRecord::from_stats(stats, timestamp_us)))
            .count()
    }

    /// Sends one interrupt handler's row; `false` when it was dropped.
    pub fn interrupt(&mut self, row: &InterruptRecord<'_>) -> bool {
        let row = InterruptRecord {
            name: clip_name(row.name),
            ..row.clone()
        };
        self.send(&Record::Interrupt(row))
    }

    /// Sends one row per handler of `handlers` (the [`IsrStats`] statics the firmware
    /// times its handlers with), stamped with `timestamp_us`; returns how many got through.
    ///
    /// The library keeps no list of handlers (an `IsrStats` costs its handler nothing
    /// beyond its own counters), so the firmware names the ones to report.
    ///
    /// ```
    /// use iot_performance::interrupts::IsrStats;
    /// use iot_performance::wire::{Reporter, SliceSink};
    ///
    /// static SYSTICK: IsrStats = IsrStats::new("SysTick");
    /// static UART0: IsrStats = IsrStats::new("UART0");
    ///
    /// fn systick_handler() {
    ///     let _timing = SYSTICK.enter();
    /// }
    /// systick_handler();
    ///
    /// let mut payload = [0u8; 256];
    /// let mut reporter = Reporter::new(SliceSink::new(&mut payload));
    /// assert_eq!(reporter.interrupt_table(1_000, [&SYSTICK, &UART0]), 2);
    /// ```
    pub fn interrupt_table<'h>(
        &mut self,
        timestamp_us: u64,
        handlers: impl IntoIterator<Item = &'h IsrStats>,
    ) -> usize {
        handlers
            .into_iter()
            .filter(|stats| self.interrupt(&InterruptRecord::from_stats(stats, timestamp_us)))
            .count()
    }

    /// Frames sent since the reporter was created.
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// Frames dropped since the reporter was created.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// The sink (to read a payload buffer, for example).
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, mutable (to clear a payload buffer after sending it).
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// The sink back.
    pub fn into_inner(self) -> S {
        self.sink
    }

    fn send(&mut self, record: &Record<'_>) -> bool {
        if self.dropped != self.dropped_reported {
            let total = Record::Dropped(DroppedRecord {
                frames: self.dropped,
            });
            if !self.write(&total) {
                self.dropped = self.dropped.saturating_add(1);
                return false;
            }
            self.dropped_reported = self.dropped;
        }
        let ok = self.write(record);
        if !ok {
            self.dropped = self.dropped.saturating_add(1);
        }
        ok
    }

    fn write(&mut self, record: &Record<'_>) -> bool {
        let mut frame = [0u8; MAX_FRAME_LEN];
        let Ok(len) = encode_frame(record, &mut frame) else {
            return false;
        };
        let ok = self.sink.try_write(&frame[..len]).is_ok();
        if ok {
            self.sent = self.sent.saturating_add(1);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{FnSink, SliceSink, decode_frame};

    fn row(name: &str) -> ScopeRecord<'_> {
        ScopeRecord {
            timestamp_us: 5,
            name,
            calls: 1,
            total_ticks: 10,
            min_ticks: 10,
            max_ticks: 10,
            self_ticks: None,
            busy_ticks: None,
            wall_ticks: None,
            polls: None,
            ticks_per_second: 1_000,
        }
    }

    fn records(bytes: &[u8]) -> usize {
        let mut copy = bytes.to_vec();
        copy.split_mut(|&b| b == 0)
            .filter(|f| !f.is_empty())
            .map(|f| decode_frame(f).expect("valid frame"))
            .count()
    }

    #[test]
    fn full_sink_drops_counts_and_reports_the_loss() {
        let mut seen = 0usize;
        let mut reporter = Reporter::new(FnSink(|_: &[u8]| {
            seen += 1;
            false
        }));
        assert!(!reporter.scope(&row("a")));
        assert!(!reporter.scope(&row("b")));
        assert_eq!(reporter.dropped(), 2);
        assert_eq!(reporter.sent(), 0);
        let _ = reporter.into_inner();
        assert_eq!(seen, 2);

        let mut buf = [0u8; 256];
        let mut reporter = Reporter::new(SliceSink::new(&mut buf));
        reporter.dropped = 2;
        assert!(reporter.scope(&row("c")));
        assert_eq!(reporter.sent(), 2, "loss report, then the row");
        assert_eq!(records(reporter.sink().as_bytes()), 2);
    }

    #[test]
    fn scope_table_sends_the_profiler_registry() {
        {
            let _g = crate::profile_block!("wire_reporter_scope_table_test");
        }
        let mut buf = [0u8; 4096];
        let mut reporter = Reporter::new(SliceSink::new(&mut buf));
        let sent = reporter.scope_table(77);
        assert!(sent >= 1);
        let mut bytes = reporter.sink().as_bytes().to_vec();
        let found = bytes
            .split_mut(|&b| b == 0)
            .filter(|f| !f.is_empty())
            .filter_map(|f| match decode_frame(f) {
                Ok(Record::Scope(s)) if s.name == "wire_reporter_scope_table_test" => {
                    Some((s.calls, s.timestamp_us))
                }
                _ => None,
            })
            .next();
        assert_eq!(found, Some((1, 77)));
    }

    #[test]
    fn interrupt_table_sends_one_row_per_handler_and_counts_drops() {
        static UART: IsrStats = IsrStats::new("UART0");
        static TIMER: IsrStats =
            IsrStats::new("a_handler_name_longer_than_the_wire_allows_for_any_name_at_all_x");
        for _ in 0..3 {
            let _t = UART.enter();
        }
        let _t = TIMER.enter();
        drop(_t);
        let mut buf = [0u8; 512];
        let mut reporter = Reporter::new(SliceSink::new(&mut buf));
        assert_eq!(reporter.interrupt_table(9, [&UART, &TIMER]), 2);
        let mut bytes = reporter.sink().as_bytes().to_vec();
        let rows: Vec<(String, u32, u64)> = bytes
            .split_mut(|&b| b == 0)
            .filter(|f| !f.is_empty())
            .map(|f| match decode_frame(f) {
                Ok(Record::Interrupt(i)) => (i.name.to_owned(), i.count, i.timestamp_us),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(rows[0], ("UART0".to_owned(), 3, 9));
        assert_eq!(rows[1].1, 1);
        assert!(rows[1].0.len() <= crate::wire::MAX_NAME_LEN);

        let mut full = Reporter::new(FnSink(|_: &[u8]| false));
        assert_eq!(full.interrupt_table(9, [&UART, &TIMER]), 0);
        assert_eq!(full.dropped(), 2);
    }

    #[test]
    fn task_rows_go_through_or_are_counted_as_dropped() {
        let task = TaskRecord {
            timestamp_us: 3,
            id: 0x2000_0100,
            name: Some("sensor"),
            polls: 4,
            busy_ticks: 100,
            wakeups: 3,
            ready_latency_total_ticks: 30,
            ready_latency_max_ticks: 20,
            ended: false,
            ticks_per_second: 1_000,
        };
        let mut buf = [0u8; 128];
        let mut reporter = Reporter::new(SliceSink::new(&mut buf));
        assert!(reporter.task(&task));
        let mut bytes = reporter.sink().as_bytes().to_vec();
        let end = bytes.iter().position(|&b| b == 0).unwrap();
        assert_eq!(
            decode_frame(&mut bytes[..end]),
            Ok(Record::Task(task.clone()))
        );

        let mut full = Reporter::new(FnSink(|_: &[u8]| false));
        assert!(!full.task(&task));
        assert!(!full.task(&TaskRecord { name: None, ..task }));
        assert_eq!((full.sent(), full.dropped()), (0, 2));
    }

    #[test]
    fn payload_buffer_fills_then_drops() {
        let mut buf = [0u8; 64];
        let mut reporter = Reporter::new(SliceSink::new(&mut buf));
        let sent = reporter.scopes([row("one"), row("two"), row("three"), row("four")]);
        assert!((1..4).contains(&sent), "sent {sent}");
        assert_eq!(reporter.dropped() as usize, 4 - sent);
        // Rows that got through plus any loss report squeezed in before a later row.
        assert_eq!(
            records(reporter.sink().as_bytes()),
            reporter.sent() as usize
        );
        assert!(reporter.sent() as usize >= sent);
    }
}
