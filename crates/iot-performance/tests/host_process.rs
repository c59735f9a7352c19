//! The host backend's heap and thread figures follow the process. One test alone in its
//! binary, so that no other test allocates or starts threads meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly
#![cfg(all(feature = "std", target_os = "linux", target_env = "gnu"))]

use iot_performance::host::HostMetrics;
use iot_performance::{MemoryProvider, SystemInfoProvider};

const MB: usize = 1 << 20;

#[test]
fn heap_and_threads_follow_the_process() {
    let host = HostMetrics::new().unwrap();
    threads_are_counted(&host);
    let before = host.memory_metrics().unwrap();

    let mut blocks: Vec<Vec<u8>> = (0..8).map(|i| vec![i as u8; 4 * MB]).collect();
    let during = host.memory_metrics().unwrap();
    let grown = during.heap_used as isize - before.heap_used as isize;
    assert!(
        (32 * MB as isize..34 * MB as isize).contains(&grown),
        "grew by {grown} B for 32 MiB"
    );
    assert!(during.heap_total >= during.heap_used);

    blocks.truncate(0);
    blocks.shrink_to_fit();
    let after = host.memory_metrics().unwrap();
    let left = after.heap_used as isize - before.heap_used as isize;
    assert!(
        left.abs() < MB as isize,
        "{left} B still counted after freeing"
    );

    // glibc cannot report its largest free block: fragmentation is unmeasured, not invented.
    assert_eq!(after.fragmentation(), None);
    assert!(after.stack_used > 0 && after.stack_free > 0);
}

fn threads_are_counted(host: &HostMetrics) {
    let before = host.system_metrics().unwrap().task_count;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(5));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait(); // started
                b.wait(); // counted
            })
        })
        .collect();
    barrier.wait();
    let during = host.system_metrics().unwrap().task_count;
    barrier.wait();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(during, before + 4, "four parked threads");
}
