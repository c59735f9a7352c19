//! CPU, threads, context switches, uptime and temperature of the host process.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sysinfo::{Components, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::{Error, Result, SystemMetrics};

/// Process CPU time and wall time at one reading.
#[derive(Debug, Clone, Copy)]
struct CpuMark {
    wall: Instant,
    cpu_us: u64,
}

#[derive(Debug)]
struct Inner {
    system: System,
    components: Option<Components>,
    last: CpuMark,
}

/// Reads the process's figures, remembering the previous CPU reading to compute the
/// utilization of the window in between.
#[derive(Debug)]
pub(super) struct ProcessSampler {
    pid: Pid,
    cores: u32,
    start_epoch_s: u64,
    inner: Mutex<Inner>,
}

impl ProcessSampler {
    pub(super) fn new() -> Result<Self> {
        let provider_error = Error::Provider {
            what: "reading process statistics",
        };
        let pid = sysinfo::get_current_pid().map_err(|_| provider_error)?;
        let mut system = System::new().map_err(|_| provider_error)?;
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing(),
        );
        let start_epoch_s = system
            .process(pid)
            .map(|p| p.start_time())
            .ok_or(provider_error)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        let components = Components::new_with_refreshed_list().ok();
        let last = CpuMark {
            wall: Instant::now(),
            cpu_us: rusage()?.cpu_us,
        };
        Ok(Self {
            pid,
            cores,
            start_epoch_s,
            inner: Mutex::new(Inner {
                system,
                components,
                last,
            }),
        })
    }

    pub(super) fn read(&self) -> Result<SystemMetrics> {
        let usage = rusage()?;
        let now = CpuMark {
            wall: Instant::now(),
            cpu_us: usage.cpu_us,
        };
        let mut inner = self.inner.lock().map_err(|_| Error::Provider {
            what: "process sampler lock poisoned",
        })?;

        let wall_us = now.wall.duration_since(inner.last.wall).as_micros() as f64;
        let cpu_us = now.cpu_us.saturating_sub(inner.last.cpu_us) as f64;
        let cpu_utilization = if wall_us > 0.0 {
            (cpu_us / (wall_us * f64::from(self.cores)) * 100.0).clamp(0.0, 100.0) as f32
        } else {
            0.0
        };
        inner.last = now;

        inner.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            false,
            ProcessRefreshKind::nothing().with_tasks(),
        );
        // sysinfo lists the threads other than the main one as the process's tasks.
        let task_count = inner
            .system
            .process(self.pid)
            .and_then(|p| p.tasks().map(|t| t.len() + 1))
            .ok_or(Error::Provider {
                what: "listing the process's threads",
            })?;
        let temperature = inner.components.as_mut().and_then(hottest_cpu_sensor);

        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Ok(SystemMetrics {
            cpu_utilization,
            uptime_ms: now_ms.saturating_sub(self.start_epoch_s * 1000),
            task_count,
            interrupt_count: crate::interrupts::total(),
            context_switches: usage.context_switches,
            temperature,
        })
    }
}

fn hottest_cpu_sensor(components: &mut Components) -> Option<f32> {
    components.refresh(false);
    let is_cpu = |label: &str| {
        let l = label.to_ascii_lowercase();
        ["cpu", "core", "package", "tctl", "tdie", "k10temp", "soc"]
            .iter()
            .any(|k| l.contains(k))
    };
    let readings = || {
        components
            .iter()
            .filter_map(|c| c.temperature().map(|t| (c.label(), t)))
    };
    let cpu = readings()
        .filter(|(l, _)| is_cpu(l))
        .map(|(_, t)| t)
        .reduce(f32::max);
    cpu.or_else(|| readings().map(|(_, t)| t).reduce(f32::max))
        .filter(|t| t.is_finite())
}

struct Usage {
    cpu_us: u64,
    context_switches: u64,
}

fn rusage() -> Result<Usage> {
    let mut ru = core::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given when it returns 0.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) } != 0 {
        return Err(Error::Provider { what: "getrusage" });
    }
    // SAFETY: initialised by the successful call above.
    let ru = unsafe { ru.assume_init() };
    let us = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    Ok(Usage {
        cpu_us: us(ru.ru_utime) + us(ru.ru_stime),
        context_switches: (ru.ru_nvcsw + ru.ru_nivcsw) as u64,
    })
}
