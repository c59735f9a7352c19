//! What `mpu_monitoring` reports: the MPU's configuration, and MemManage faults counted by
//! the application's fault handler.

use portable_atomic::{AtomicU32, Ordering};

static MEMMANAGE_FAULTS: AtomicU32 = AtomicU32::new(0);

/// The MPU as configured when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MpuStatus {
    /// Regions the MPU implements (0: no MPU).
    pub regions: u8,
    /// Whether the MPU is on (`MPU_CTRL.ENABLE`).
    pub enabled: bool,
    /// Regions whose enable bit is set.
    pub active_regions: u8,
    /// MemManage faults recorded with [`record_memmanage_fault`].
    pub memmanage_faults: u32,
}

/// Counts one MemManage fault: call it from your `MemoryManagement` exception handler.
pub fn record_memmanage_fault() {
    MEMMANAGE_FAULTS.fetch_add(1, Ordering::Relaxed);
}

/// Reads the MPU registers (ARMv7-M layout; ARMv6-M and ARMv8-M report only the region
/// count and enable bit).
pub(crate) fn read() -> MpuStatus {
    // SAFETY: read-only access to the MPU's TYPE, CTRL, RNR-selected RASR registers; RNR
    // is written and then restored inside a critical section, so no other code sees the
    // change.
    let (regions, enabled, active_regions) = critical_section::with(|_| unsafe {
        let mpu = &*cortex_m::peripheral::MPU::PTR;
        let regions = ((mpu._type.read() >> 8) & 0xFF) as u8;
        let enabled = mpu.ctrl.read() & 1 == 1;
        #[cfg_attr(not(target_has_atomic = "32"), allow(unused_mut))]
        let mut active = 0;
        #[cfg(all(target_has_atomic = "32", not(target_feature = "v8")))]
        {
            let saved = mpu.rnr.read();
            for region in 0..u32::from(regions) {
                mpu.rnr.write(region);
                if mpu.rasr.read() & 1 == 1 {
                    active += 1;
                }
            }
            mpu.rnr.write(saved);
        }
        (regions, enabled, active)
    });
    MpuStatus {
        regions,
        enabled,
        active_regions,
        memmanage_faults: MEMMANAGE_FAULTS.load(Ordering::Relaxed),
    }
}
