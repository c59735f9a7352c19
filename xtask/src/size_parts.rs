//! Where the footprint goes: the symbol-size difference between the probe built with and
//! without the library (`llvm-nm -C -S`), grouped into the parts a user would switch on.
//!
//! Users compare two totals against other tools:
//! - **recorder** ([`recorder`]): what records on the device — the profiler core, the call
//!   sites, the Embassy trace hooks and the tick-interrupt timing (the parts marked
//!   [`Tier::Recorder`]; the peer of SEGGER SystemView or the CMSIS-View Event Recorder);
//! - **full** monitor: the recorder plus the backend, the monitor and its snapshot, the
//!   compiler runtime the library pulls in and everything else the library adds (the
//!   [`Tier::Full`] parts, "other" included; `size.rs` reports it as the section-size
//!   difference, which also counts padding) — the peer of the Memfault SDK.

/// Which total a part counts in (every part counts in the full monitor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Recorder and full monitor.
    Recorder,
    /// Full monitor only.
    Full,
}

/// Parts, in the order symbols are matched against them (first match wins).
const PARTS: &[(&str, Tier, &[&str])] = &[
    ("16 profiled call sites", Tier::Recorder, &["::stages::"]),
    (
        "profiler core (timing)",
        Tier::Recorder,
        &[
            "iot_performance::clock",
            "iot_performance::timing::registry",
            "iot_performance::timing::counters",
            "iot_performance::timing::guard",
            "iot_performance::timing::future",
            "iot_performance::timing::detail",
            "iot_performance::timing::scope_stats",
            "iot_performance::timing::report",
            "iot_performance::timing::set_enabled",
            "ScopeGuard",
        ],
    ),
    (
        "Embassy trace hooks",
        Tier::Recorder,
        &[
            "_embassy_trace",
            "iot_performance::timing::embassy",
            "iot_performance::timing::task_table",
            // The executor's own functions grow where it calls or inlines the hooks (its
            // idle hook is inlined into the thread executor's loop). `TaskStorage` (the
            // tasks' futures) is not among them: the main task holds the monitor.
            "embassy_executor::platform",
            "embassy_executor::raw::Executor",
            "embassy_executor::raw::waker",
        ],
    ),
    (
        "tick interrupt + ISR timing",
        Tier::Recorder,
        &[
            "SysTick",
            "MachineTimer",
            "iot_performance::timing::interrupts",
            // The probes' `IsrStats` statics (`SYSTICK_ISR`, `TIMER_ISR`).
            "_ISR",
        ],
    ),
    (
        "backend, monitor, snapshot",
        Tier::Full,
        // Trait impls keep the legacy-mangled form `_$LT$iot_performance..` in llvm-nm.
        &[
            "iot_performance::",
            "iot_performance..",
            "TaskStorage",
            "embassy_main",
        ],
    ),
    (
        "compiler runtime (memclr/memcpy, division, soft-float)",
        Tier::Full,
        &[
            "compiler_builtins",
            "__aeabi",
            "__",
            "memcmp",
            "memcpy",
            "memset",
        ],
    ),
];

/// Symbols of the recorder's modules that only the monitor calls: the tick-to-µs
/// conversion of the snapshot's timestamp and uptime (`clock::ticks_to_us`, out of line).
/// They count in "backend, monitor, snapshot".
const MONITOR_ONLY: &[&str] = &["iot_performance::clock::ticks_to_us"];

/// One part's share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: &'static str,
    pub tier: Tier,
    pub flash: i64,
    pub ram: i64,
}

/// Groups the per-symbol difference between two `llvm-nm -C -S` listings; symbols that
/// match no part are summed as "other".
pub fn parts(without: &str, with: &str) -> Vec<Part> {
    let mut out: Vec<Part> = PARTS
        .iter()
        .map(|(name, tier, _)| Part {
            name,
            tier: *tier,
            flash: 0,
            ram: 0,
        })
        .chain([Part {
            name: "other",
            tier: Tier::Full,
            flash: 0,
            ram: 0,
        }])
        .collect();
    for (listing, sign) in [(without, -1), (with, 1)] {
        for (kind, size, name) in symbols(listing) {
            let monitor_only = MONITOR_ONLY.iter().any(|p| name.contains(p));
            let index = PARTS
                .iter()
                .position(|(_, tier, patterns)| {
                    !(monitor_only && *tier == Tier::Recorder)
                        && patterns.iter().any(|p| name.contains(p))
                })
                .unwrap_or(PARTS.len());
            let part = &mut out[index];
            // Text and read-only data live in flash; initialised data in both (its
            // initial image is in flash); zeroed data in RAM only.
            if matches!(kind, 't' | 'r' | 'd') {
                part.flash += sign * size;
            }
            if matches!(kind, 'b' | 'd') {
                part.ram += sign * size;
            }
        }
    }
    out
}

/// (flash, RAM) of the recorder: the sum of its parts.
pub fn recorder(parts: &[Part]) -> (i64, i64) {
    parts
        .iter()
        .filter(|p| p.tier == Tier::Recorder)
        .fold((0, 0), |(flash, ram), p| (flash + p.flash, ram + p.ram))
}

/// (kind, size, name) of every sized symbol; `kind` is lower-cased (`t`, `r`, `d`, `b`).
/// LLVM's merged-globals blocks (riscv32) are skipped: each of their members is listed
/// again under its own name (`NAME (.N)`), and would otherwise be counted twice.
fn symbols(listing: &str) -> impl Iterator<Item = (char, i64, &str)> {
    listing.lines().filter_map(|line| {
        let mut fields = line.splitn(4, ' ');
        let (_address, size, kind, name) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        let size = i64::from_str_radix(size, 16).ok()?;
        let kind = kind.chars().next()?.to_ascii_lowercase();
        (!name.starts_with(".L_MergedGlobals")).then_some((kind, size, name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_the_difference_by_part() {
        let without = "00000100 00000040 t app::stages::stage01::h1\n\
                       00000200 00000100 T __aeabi_memclr\n";
        let with = "00000100 00000070 t app::stages::stage01::h1\n\
                    00000200 00000100 T __aeabi_memclr\n\
                    00000300 00000020 t iot_performance::timing::registry::register::h2\n\
                    20000000 00000030 b iot_performance::timing::registry::SLOTS::h3\n\
                    20000100 00000010 d iot_performance::timing::embassy::TABLE::h4\n\
                    00000400 00000008 r .Lanon.1\n\
                    20000200 00000040 b .L_MergedGlobals\n\
                    20000200 00000004 b iot_performance::clock::COUNTER::h5 (.0)\n\
                    00000600 00000100 t iot_performance::platform::backend::h6\n\
                    00000700 00000050 t iot_performance::clock::ticks_to_us::h7\n\
                    00000500 t no_size_symbol\n";
        let parts = parts(without, with);
        let get = |name: &str| parts.iter().find(|p| p.name == name).unwrap().clone();
        assert_eq!(
            (
                get("16 profiled call sites").flash,
                get("16 profiled call sites").ram
            ),
            (0x30, 0)
        );
        assert_eq!(
            (
                get("profiler core (timing)").flash,
                get("profiler core (timing)").ram
            ),
            // The merged block is not counted, its member is.
            (0x20, 0x34)
        );
        assert_eq!(
            (
                get("Embassy trace hooks").flash,
                get("Embassy trace hooks").ram
            ),
            (0x10, 0x10)
        );
        assert_eq!(get("other").flash, 8);
        assert_eq!(
            get("compiler runtime (memclr/memcpy, division, soft-float)").flash,
            0
        );
        // The backend is not part of the recorder, nor the monitor's tick conversion.
        assert_eq!(get("backend, monitor, snapshot").flash, 0x100 + 0x50);
        assert_eq!(recorder(&parts), (0x30 + 0x20 + 0x10, 0x34 + 0x10));
    }

    #[test]
    fn interrupt_statics_and_the_executors_growth_count_in_the_recorder() {
        let without = "00000100 00000040 t embassy_executor::platform::thread::Executor::run::h1\n\
                       00000200 00000080 t embassy_executor::raw::TaskStorage$LT$F$GT$::poll::h2\n";
        let with = "00000100 00000068 t embassy_executor::platform::thread::Executor::run::h1\n\
                    00000200 00000300 t embassy_executor::raw::TaskStorage$LT$F$GT$::poll::h2\n\
                    20000000 00000024 d footprint::SYSTICK_ISR::h3\n";
        let parts = parts(without, with);
        let get = |name: &str| parts.iter().find(|p| p.name == name).unwrap().clone();
        assert_eq!(get("Embassy trace hooks").flash, 0x28);
        assert_eq!(
            (
                get("tick interrupt + ISR timing").flash,
                get("tick interrupt + ISR timing").ram
            ),
            (0x24, 0x24)
        );
        // The tasks' futures (the main task builds the monitor) stay in the monitor's part.
        assert_eq!(get("backend, monitor, snapshot").flash, 0x280);
        assert_eq!(recorder(&parts), (0x28 + 0x24, 0x24));
    }
}
