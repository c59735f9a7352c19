//! The host backend's heap, thread and CPU figures follow the process. One test alone in
//! its binary, so that no other test allocates, starts threads or burns CPU meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// test helpers fail loudly
// The heap figure it checks is glibc's `mallinfo2`, read only on Linux with glibc.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use iot_performance::host::HostMetrics;
use iot_performance::{MemoryProvider, SystemInfoProvider};

use std::time::{Duration, Instant};

const MB: usize = 1 << 20;

#[test]
fn heap_and_threads_follow_the_process() {
    let host = HostMetrics::new().unwrap();
    threads_are_counted(&host);
    cpu_follows_a_spinning_thread(&host);
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

/// CPU time of the calling thread, in microseconds.
fn thread_cpu_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
}

/// Spins for `d` of wall time and returns the CPU time the thread actually got.
fn spin_for(d: Duration) -> u64 {
    let start_cpu = thread_cpu_us();
    let end = Instant::now() + d;
    let mut x = 0u64;
    while Instant::now() < end {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    thread_cpu_us() - start_cpu
}

fn cpu_follows_a_spinning_thread(host: &HostMetrics) {
    let cores = std::thread::available_parallelism().unwrap().get() as f64;
    host.system_metrics().unwrap(); // start a window
    std::thread::sleep(Duration::from_millis(300));
    let idle = host.system_metrics().unwrap().cpu_utilization;

    let window = Instant::now();
    let spun_us = std::thread::spawn(|| spin_for(Duration::from_millis(400)))
        .join()
        .unwrap();
    let busy = host.system_metrics().unwrap().cpu_utilization;
    let wall_us = window.elapsed().as_micros() as f64;

    // However loaded the machine is, the window holds at least the CPU time the spinner got.
    let expected = (spun_us as f64 / (wall_us * cores) * 100.0) as f32;
    assert!(
        expected > 1.0,
        "the spinner ran: {spun_us} us of CPU in {wall_us} us"
    );
    assert!(
        busy >= 0.8 * expected && busy <= 100.0,
        "reported {busy} %, spinner alone {expected} %"
    );
    assert!(idle < busy / 2.0, "idle window {idle} %, busy {busy} %");
}
