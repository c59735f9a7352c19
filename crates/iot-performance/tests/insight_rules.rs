//! Every insight rule: one input that triggers it, one close to it that does not.

use iot_performance::analysis::{Metric, Trend, Unit};
use iot_performance::insights::{
    HeapInput, InsightInput, InsightSeverity, InsightThresholds, IsrInput, Rule, ScopeInput,
    StackInput, analyze,
};
use iot_performance::mock::MockMetrics;
use iot_performance::regression::{RegressionKind, Severity};
use iot_performance::{PerformanceMonitor, Regression};

fn rules(input: &InsightInput<'_>) -> Vec<(Rule, InsightSeverity, Option<&'static str>)> {
    analyze(input, &InsightThresholds::default())
        .items
        .iter()
        .map(|i| (i.rule, i.severity, i.subject))
        .collect()
}

fn fires(input: &InsightInput<'_>, rule: Rule) -> bool {
    rules(input).iter().any(|(r, _, _)| *r == rule)
}

fn heap(used: usize, total: usize, fragmentation: Option<f32>) -> Option<HeapInput> {
    Some(HeapInput {
        used,
        total,
        fragmentation,
    })
}

#[test]
fn heap_fragmentation() {
    let on = InsightInput {
        heap: heap(30_000, 64_000, Some(0.62)),
        ..Default::default()
    };
    let off = InsightInput {
        heap: heap(30_000, 64_000, Some(0.45)),
        ..Default::default()
    };
    let unmeasured = InsightInput {
        heap: heap(30_000, 64_000, None),
        ..Default::default()
    };
    assert_eq!(
        rules(&on),
        [(Rule::HeapFragmentation, InsightSeverity::Warning, None)]
    );
    assert!(!fires(&off, Rule::HeapFragmentation));
    assert!(!fires(&unmeasured, Rule::HeapFragmentation));
    let severe = InsightInput {
        heap: heap(30_000, 64_000, Some(0.8)),
        ..Default::default()
    };
    assert_eq!(rules(&severe)[0].1, InsightSeverity::Critical);
}

fn trend(slope: f64, ci: f64) -> Option<Trend> {
    Some(Trend {
        unit: Unit::Bytes,
        points: 60,
        slope_per_hour: Some(slope),
        confidence_95_per_hour: Some(ci),
        latest_fit: None,
    })
}

#[test]
fn suspected_leak() {
    let h = heap(20_000, 64_000, None);
    let on = InsightInput {
        heap: h,
        heap_trend: trend(1_228.8, 100.0),
        ..Default::default()
    };
    assert_eq!(
        rules(&on),
        [(Rule::SuspectedLeak, InsightSeverity::Warning, None)]
    );
    // Rising but not surely faster than 64 B/h, or just noise: no leak.
    let slow = InsightInput {
        heap: h,
        heap_trend: trend(100.0, 60.0),
        ..Default::default()
    };
    let noise = InsightInput {
        heap: h,
        heap_trend: trend(500.0, 600.0),
        ..Default::default()
    };
    assert!(!fires(&slow, Rule::SuspectedLeak));
    assert!(!fires(&noise, Rule::SuspectedLeak));
    // Full within a day: critical.
    let fast = InsightInput {
        heap: h,
        heap_trend: trend(4_000.0, 100.0),
        ..Default::default()
    };
    assert_eq!(rules(&fast)[0].1, InsightSeverity::Critical);
}

#[test]
fn stack_near_limit() {
    let tasks = [
        StackInput {
            name: "wifi_task",
            high_water: 3_900,
            size: 4_096,
        },
        StackInput {
            name: "sensor_task",
            high_water: 2_000,
            size: 4_096,
        },
    ];
    let on = InsightInput {
        task_stacks: &tasks,
        ..Default::default()
    };
    assert_eq!(
        rules(&on),
        [(
            Rule::StackNearLimit,
            InsightSeverity::Critical,
            Some("wifi_task")
        )]
    );
    let main = InsightInput {
        main_stack: Some(StackInput {
            name: "main",
            high_water: 7_000,
            size: 8_192,
        }),
        ..Default::default()
    };
    assert_eq!(
        rules(&main),
        [(Rule::StackNearLimit, InsightSeverity::Warning, Some("main"))]
    );
    let off = InsightInput {
        task_stacks: &tasks[1..],
        ..Default::default()
    };
    assert!(!fires(&off, Rule::StackNearLimit));
}

fn scope(name: &'static str, busy_us: u64, p50: f64, p99: f64) -> ScopeInput {
    ScopeInput {
        name,
        busy_us,
        calls: 100,
        p50_us: Some(p50),
        p99_us: Some(p99),
    }
}

#[test]
fn dominant_scope() {
    let on = [
        scope("sensor_fusion", 700, 7.0, 8.0),
        scope("mqtt", 300, 30.0, 35.0),
    ];
    let off = [
        scope("a", 400, 4.0, 5.0),
        scope("b", 350, 3.0, 4.0),
        scope("c", 250, 2.0, 3.0),
    ];
    let input = InsightInput {
        scopes: &on,
        ..Default::default()
    };
    assert_eq!(
        rules(&input),
        [(
            Rule::DominantScope,
            InsightSeverity::Info,
            Some("sensor_fusion")
        )]
    );
    assert!(!fires(
        &InsightInput {
            scopes: &off,
            ..Default::default()
        },
        Rule::DominantScope
    ));
    // A single scope dominates nothing.
    assert!(!fires(
        &InsightInput {
            scopes: &on[..1],
            ..Default::default()
        },
        Rule::DominantScope
    ));
}

#[test]
fn long_isr() {
    let isrs = [
        IsrInput {
            name: "UART0",
            max_us: 120,
            total_us: 2_000,
            window_us: 1_000_000,
        },
        IsrInput {
            name: "TIMER1",
            max_us: 10,
            total_us: 150_000,
            window_us: 1_000_000,
        },
        IsrInput {
            name: "GPIO",
            max_us: 8,
            total_us: 5_000,
            window_us: 1_000_000,
        },
    ];
    let input = InsightInput {
        isrs: &isrs,
        ..Default::default()
    };
    let got = rules(&input);
    assert_eq!(got.len(), 2);
    assert!(got.contains(&(Rule::LongIsr, InsightSeverity::Warning, Some("UART0"))));
    assert!(got.contains(&(Rule::LongIsr, InsightSeverity::Warning, Some("TIMER1"))));
    assert!(!fires(
        &InsightInput {
            isrs: &isrs[2..],
            ..Default::default()
        },
        Rule::LongIsr
    ));
}

#[test]
fn cpu_saturation() {
    let at = |cpu| InsightInput {
        cpu_utilization: Some(cpu),
        ..Default::default()
    };
    assert_eq!(
        rules(&at(93.0)),
        [(Rule::CpuSaturation, InsightSeverity::Warning, None)]
    );
    assert_eq!(
        rules(&at(99.5)),
        [(Rule::CpuSaturation, InsightSeverity::Critical, None)]
    );
    assert!(!fires(&at(85.0), Rule::CpuSaturation));
}

#[test]
fn timing_jitter() {
    let on = [scope("flash_write", 10, 100.0, 900.0)];
    let off = [scope("flash_write", 10, 100.0, 250.0)];
    let no_histogram = [ScopeInput {
        p99_us: None,
        ..on[0]
    }];
    assert_eq!(
        rules(&InsightInput {
            scopes: &on,
            ..Default::default()
        }),
        [(
            Rule::TimingJitter,
            InsightSeverity::Warning,
            Some("flash_write")
        )]
    );
    assert!(!fires(
        &InsightInput {
            scopes: &off,
            ..Default::default()
        },
        Rule::TimingJitter
    ));
    assert!(!fires(
        &InsightInput {
            scopes: &no_histogram,
            ..Default::default()
        },
        Rule::TimingJitter
    ));
}

#[test]
fn regression_against_baseline() {
    let r = Regression {
        metric: Metric::Scope("mqtt_publish"),
        baseline_value: 2_000.0,
        current_value: 2_600.0,
        severity: Severity::Minor,
        kind: RegressionKind::Relative {
            threshold_percent: 20.0,
            windows: 3,
        },
    };
    let regs = [r];
    let input = InsightInput {
        regressions: &regs,
        ..Default::default()
    };
    let found = analyze(&input, &InsightThresholds::default());
    let i = &found.items[0];
    assert_eq!(
        (i.rule, i.subject),
        (Rule::RegressionAgainstBaseline, Some("mqtt_publish"))
    );
    assert_eq!((i.evidence.value, i.evidence.threshold), (2_600.0, 2_400.0));
    assert!(!fires(
        &InsightInput::default(),
        Rule::RegressionAgainstBaseline
    ));
}

#[test]
fn oversized_static_data() {
    let on = InsightInput {
        static_bytes: Some(250_000),
        ram_bytes: Some(400_000),
        ..Default::default()
    };
    let off = InsightInput {
        static_bytes: Some(100_000),
        ram_bytes: Some(400_000),
        ..Default::default()
    };
    let unknown_ram = InsightInput {
        static_bytes: Some(250_000),
        ..Default::default()
    };
    assert_eq!(
        rules(&on),
        [(Rule::OversizedStaticData, InsightSeverity::Warning, None)]
    );
    assert!(!fires(&off, Rule::OversizedStaticData));
    assert!(!fires(&unknown_ram, Rule::OversizedStaticData));
}

#[test]
fn snapshot_input_and_ordering_and_text() {
    let mock = MockMetrics::new_with_defaults();
    mock.set_fragmentation_ratio(0.9);
    mock.set_cpu_utilization(92.0);
    mock.set_stack_usage(2_000, 6_000);
    let snapshot = futures_executor::block_on(async {
        PerformanceMonitor::with_provider(&mock)
            .await?
            .current_metrics()
            .await
    })
    .unwrap();
    let input = InsightInput {
        ram_bytes: Some(20_000),
        ..InsightInput::from_snapshot(&snapshot)
    };
    let got = rules(&input);
    // Critical first, then warnings; the healthy stack says nothing.
    assert_eq!(
        got,
        [
            (Rule::HeapFragmentation, InsightSeverity::Critical, None),
            (Rule::CpuSaturation, InsightSeverity::Warning, None),
            (Rule::OversizedStaticData, InsightSeverity::Warning, None),
        ]
    );
    let text = analyze(&input, &InsightThresholds::default()).items[0].to_string();
    assert!(
        text.starts_with(
            "[critical] HeapFragmentation: fragmentation_ratio = 0.900 (threshold 0.500). "
        ),
        "{text}"
    );
}

#[test]
fn overflow_keeps_the_most_urgent_and_counts_the_rest() {
    let stacks: Vec<StackInput> = (0..40)
        .map(|i| StackInput {
            name: "task",
            high_water: if i == 39 { 4_000 } else { 3_600 },
            size: 4_096,
        })
        .collect();
    let found = analyze(
        &InsightInput {
            task_stacks: &stacks,
            ..Default::default()
        },
        &InsightThresholds::default(),
    );
    assert_eq!(found.items.len(), 32);
    assert_eq!(found.dropped, 8);
    assert_eq!(found.items[0].severity, InsightSeverity::Critical);
}

#[tokio::test]
async fn memory_analyzer_leak_verdict_feeds_the_leak_rule() -> iot_performance::Result<()> {
    use iot_performance::{MemoryAnalysisConfig, MemoryAnalyzer};
    let config = MemoryAnalysisConfig {
        track_allocations: false,
        detect_leaks: true,
        fragmentation_analysis: true,
    };
    let analysis_of = |leak_per_cycle: usize| async move {
        let device = MockMetrics::new_with_defaults();
        let analyzer = MemoryAnalyzer::with_provider(&device, config);
        analyzer.start_continuous_monitoring().await?;
        for cycle in 0..600 {
            // Buffers come and go every cycle; a leak raises the floor under them.
            device.set_memory_usage(16_384 + (cycle % 4) * 512 + cycle * leak_per_cycle, 32_768);
            analyzer.tick().await?;
        }
        analyzer.analyze_patterns().await
    };
    let leaking = analysis_of(64).await?;
    assert!(leaking.potential_leak_detected);
    let input = InsightInput::default().with_memory_analysis(&leaking);
    assert!(fires(&input, Rule::SuspectedLeak), "{:?}", rules(&input));
    let stable = analysis_of(0).await?;
    let input = InsightInput::default().with_memory_analysis(&stable);
    assert!(!fires(&input, Rule::SuspectedLeak));
    // The mock's fragmentation (0.125) and static data arrive too.
    assert_eq!(input.heap.and_then(|h| h.fragmentation), Some(0.125));
    assert_eq!(input.static_bytes, Some(12_288));
    Ok(())
}

#[test]
fn painted_stack_region_feeds_the_stack_rule() {
    use iot_performance::memory::stack::{PAINT_WORD, StackRegion};
    let mut words = vec![PAINT_WORD; 1024]; // a 4 KiB "stack", painted
    let bottom = words.as_mut_ptr() as usize;
    // SAFETY: the region is exactly this vector's memory, which nothing else uses and
    // which outlives every use of the region below.
    let region = unsafe { StackRegion::from_bounds(bottom, bottom + 4096) };
    // The task reached 3 600 bytes down from the top: 88 % of its stack.
    words[1024 - 900..].fill(0);
    let stacks = [StackInput::from_region("wifi_task", &region)];
    assert_eq!((stacks[0].high_water, stacks[0].size), (3_600, 4_096));
    let on = InsightInput {
        task_stacks: &stacks,
        ..Default::default()
    };
    assert_eq!(
        rules(&on),
        [(
            Rule::StackNearLimit,
            InsightSeverity::Warning,
            Some("wifi_task")
        )]
    );
    words.fill(PAINT_WORD);
    words[1024 - 100..].fill(0);
    let stacks = [StackInput::from_region("wifi_task", &region)];
    assert!(!fires(
        &InsightInput {
            task_stacks: &stacks,
            ..Default::default()
        },
        Rule::StackNearLimit
    ));
}

#[test]
fn profiled_scope_feeds_the_jitter_and_dominance_rules() {
    use iot_performance::timing::{self, ManualClock};
    ManualClock::install(1_000_000); // 1 tick = 1 µs; only this test uses the clock here
    for i in 0..100 {
        let _timer = iot_performance::profile_block!("ir_flash_write");
        ManualClock::advance(if i % 10 == 0 { 5_000 } else { 100 });
    }
    let stats = timing::scope("ir_flash_write").unwrap();
    let scope = ScopeInput::from_stats(&stats);
    assert_eq!((scope.calls, scope.busy_us), (100, 10 * 5_000 + 90 * 100));
    let input = InsightInput {
        scopes: std::slice::from_ref(&scope),
        ..Default::default()
    };
    #[cfg(feature = "detailed-profiling")]
    {
        // Histogram bucket bounds: p50 in the 64..=127 µs bucket, p99 capped at the max.
        assert_eq!((scope.p50_us, scope.p99_us), (Some(127.0), Some(5_000.0)));
        assert!(fires(&input, Rule::TimingJitter));
    }
    #[cfg(not(feature = "detailed-profiling"))]
    {
        assert_eq!((scope.p50_us, scope.p99_us), (None, None));
        assert!(!fires(&input, Rule::TimingJitter));
    }
    timing::reset_clock();
}
