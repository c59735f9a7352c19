//! The per-task and per-interrupt-handler tables of a report, as text and as HTML: the
//! same cells (every figure with its unit) in both.

use std::fmt::Write as _;

use crate::report::RunReport;
use crate::svg::escape;
use crate::tasks::{InterruptSummary, TaskSummary};
use crate::units;

const DASH: &str = "—";

/// Column headings of the task table.
const TASK_HEADINGS: [&str; 8] = [
    "task",
    "polls",
    "busy",
    "busy %",
    "mean poll",
    "wakeups",
    "mean ready",
    "max ready",
];

/// Column headings of the interrupt handler table.
const INTERRUPT_HEADINGS: [&str; 6] = ["interrupt", "entries", "total", "busy %", "mean", "max"];

fn or_dash(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(|| DASH.into(), f)
}

/// A task's row: name, polls, busy, busy %, mean poll, wakeups, mean and max ready latency.
pub fn task_cells(t: &TaskSummary) -> [String; 8] {
    let name = if t.ended {
        format!("{} (ended)", t.name)
    } else {
        t.name.clone()
    };
    [
        name,
        t.polls.to_string(),
        units::duration_us(t.busy_us),
        or_dash(t.busy_percent, units::percent),
        or_dash(t.mean_poll_us, units::duration_us),
        t.wakeups.to_string(),
        or_dash(t.mean_ready_latency_us, units::duration_us),
        units::duration_us(t.max_ready_latency_us),
    ]
}

/// A handler's row: name, entries, total, busy %, mean, max (the untimed entries said
/// with the count).
pub fn interrupt_cells(i: &InterruptSummary) -> [String; 6] {
    let entries = if i.timed == i.count {
        i.count.to_string()
    } else {
        format!("{} ({} timed)", i.count, i.timed)
    };
    [
        i.name.clone(),
        entries,
        units::duration_us(i.total_us),
        or_dash(i.busy_percent, units::percent),
        or_dash(i.mean_us, units::duration_us),
        units::duration_us(i.max_us),
    ]
}

/// One line of the text task table (the headings or a row).
fn task_line(cells: [&str; 8]) -> String {
    let [name, polls, busy, share, poll, wakeups, ready, max] = cells;
    format!(
        "  {name:<20} {polls:>8} {busy:>10} {share:>7} {poll:>10} {wakeups:>8} {ready:>11} {max:>10}\n"
    )
}

/// One line of the text interrupt handler table (the headings or a row).
fn interrupt_line(cells: [&str; 6]) -> String {
    let [name, entries, total, share, mean, max] = cells;
    format!("  {name:<20} {entries:>10} {total:>10} {share:>7} {mean:>10} {max:>10}\n")
}

/// Both tables as text (nothing when the device sent neither).
pub fn text(r: &RunReport) -> String {
    let mut s = String::new();
    if !r.tasks.is_empty() {
        s.push('\n');
        s.push_str(&task_line(TASK_HEADINGS));
        for t in &r.tasks {
            s.push_str(&task_line(task_cells(t).each_ref().map(String::as_str)));
        }
    }
    if !r.interrupts.is_empty() {
        s.push('\n');
        s.push_str(&interrupt_line(INTERRUPT_HEADINGS));
        for i in &r.interrupts {
            s.push_str(&interrupt_line(
                interrupt_cells(i).each_ref().map(String::as_str),
            ));
        }
    }
    s
}

fn html_table<const N: usize>(s: &mut String, id: &str, headings: [&str; N], rows: &[[String; N]]) {
    let _ = write!(s, "<table id=\"{id}\"><tr>");
    for h in headings {
        let _ = write!(s, "<th>{h}</th>");
    }
    s.push_str("</tr>");
    for row in rows {
        s.push_str("<tr>");
        for cell in row {
            let _ = write!(s, "<td>{}</td>", escape(cell));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
}

/// Both tables as HTML, styled like the scope table; a sentence instead of a table the
/// device did not send.
pub fn html(s: &mut String, r: &RunReport) {
    s.push_str("<h3>Per task (Embassy)</h3>");
    if r.tasks.is_empty() {
        s.push_str("<p>Not reported: this capture has no task rows (`Reporter::task_table`).</p>");
    } else {
        let rows: Vec<[String; 8]> = r.tasks.iter().map(task_cells).collect();
        html_table(s, "task-table", TASK_HEADINGS, &rows);
    }
    s.push_str("<h3>Per interrupt handler</h3>");
    if r.interrupts.is_empty() {
        s.push_str(
            "<p>Not reported: this capture has no interrupt handler rows (`Reporter::interrupt_table`).</p>",
        );
    } else {
        let rows: Vec<[String; 6]> = r.interrupts.iter().map(interrupt_cells).collect();
        html_table(s, "isr-table", INTERRUPT_HEADINGS, &rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_carry_units_and_say_what_is_missing() {
        let t = TaskSummary {
            name: "sensor".into(),
            id: 1,
            polls: 200,
            busy_us: 1_520.0,
            busy_percent: Some(0.76),
            mean_poll_us: Some(7.6),
            wakeups: 199,
            mean_ready_latency_us: None,
            max_ready_latency_us: 12.0,
            ended: true,
        };
        assert_eq!(
            task_cells(&t),
            [
                "sensor (ended)",
                "200",
                "1.52 ms",
                "0.8 %",
                "7.60 µs",
                "199",
                "—",
                "12.0 µs"
            ]
        );
        let i = InterruptSummary {
            name: "SysTick".into(),
            count: 201,
            timed: 200,
            total_us: 48.0,
            mean_us: Some(0.24),
            max_us: 0.5,
            busy_percent: None,
        };
        assert_eq!(
            interrupt_cells(&i),
            [
                "SysTick",
                "201 (200 timed)",
                "48.0 µs",
                "—",
                "240 ns",
                "500 ns"
            ]
        );
    }
}
