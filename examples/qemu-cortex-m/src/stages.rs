//! Sixteen pipeline stages, each its own profiled scope under the `perf` feature: the
//! profiler's footprint is measured with 16 scopes, and the QEMU checks count their calls.

/// Number of stages (and of profiled scopes).
pub const STAGES: usize = 16;

macro_rules! stages {
    ($($name:literal => $fn:ident($rounds:literal)),* $(,)?) => {
        $(
            #[inline(never)]
            fn $fn(seed: u32) -> u32 {
                #[cfg(feature = "perf")]
                let _scope = iot_performance::profile_block!($name);
                crate::workload::crunch(seed.wrapping_add($rounds) % 7 + $rounds)
            }
        )*
        /// Scope names, in stage order.
        #[cfg_attr(not(feature = "perf"), allow(dead_code))]
        pub const NAMES: [&str; STAGES] = [$($name),*];

        /// Runs every stage once.
        pub fn run_all(seed: u32) -> u32 {
            let mut acc = seed;
            $( acc ^= $fn(acc); )*
            acc
        }
    };
}

stages! {
    "stage.00" => stage00(100), "stage.01" => stage01(110), "stage.02" => stage02(120),
    "stage.03" => stage03(130), "stage.04" => stage04(140), "stage.05" => stage05(150),
    "stage.06" => stage06(160), "stage.07" => stage07(170), "stage.08" => stage08(180),
    "stage.09" => stage09(190), "stage.10" => stage10(200), "stage.11" => stage11(210),
    "stage.12" => stage12(220), "stage.13" => stage13(230), "stage.14" => stage14(240),
    "stage.15" => stage15(1600),
}
