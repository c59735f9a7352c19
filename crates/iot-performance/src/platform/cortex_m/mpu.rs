//! What `mpu_monitoring` reports: the MPU's configuration, and the MemManage faults counted
//! by the library's fault handler (feature `mpu-fault-handler`) or by yours. The handler's
//! policy is described in the `cortex_m` module docs.

use core::mem::MaybeUninit;

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
    /// MemManage faults recorded (by the library's handler or [`record_memmanage_fault`])
    /// since power-on: the record survives the handler's resets.
    pub memmanage_faults: u32,
    /// Address of the latest recorded fault's access (`MMFAR`), when the core captured it.
    pub last_fault_address: Option<u32>,
    /// The latest recorded fault's status bits (`MMFSR`: 0x01 instruction access, 0x02
    /// data access, 0x08 unstacking, 0x10 stacking, 0x20 lazy FP state, 0x80 address valid).
    pub last_fault_status: u8,
    /// Whether the library's handler takes MemManage faults (feature `mpu-fault-handler`,
    /// and `MEMFAULTENA` set by [`super::CortexMMetrics::new`] with `mpu_monitoring`).
    pub fault_handler: bool,
}

/// The faults recorded so far, kept across resets in `.uninit` RAM.
#[repr(C)]
#[derive(Clone, Copy)]
struct FaultRecord {
    magic: u32,
    count: u32,
    address: u32,
    status: u32,
    /// `magic ^ count ^ address ^ status ^ CHECK`: RAM that merely holds the magic after
    /// power-on is not taken for a record.
    check: u32,
}

const MAGIC: u32 = 0x4D50_5546; // "MPUF"
const CHECK: u32 = 0xA5C3_0F5A;
/// `MMFSR.MMARVALID`: `MMFAR` holds the faulting address.
const MMARVALID: u32 = 0x80;

impl FaultRecord {
    const EMPTY: Self = Self::sealed(0, u32::MAX, 0);

    const fn sealed(count: u32, address: u32, status: u32) -> Self {
        Self {
            magic: MAGIC,
            count,
            address,
            status,
            check: MAGIC ^ count ^ address ^ status ^ CHECK,
        }
    }

    fn valid(&self) -> bool {
        self.magic == MAGIC
            && self.check == self.magic ^ self.count ^ self.address ^ self.status ^ CHECK
    }
}

// cortex-m-rt collects `.uninit.*` into its NOLOAD `.uninit` output section in RAM, which
// its start-up code neither zeroes nor initialises.
#[unsafe(link_section = ".uninit.iot_performance.memmanage")]
static mut RECORD: MaybeUninit<FaultRecord> = MaybeUninit::uninit();

/// The record, or an empty one when RAM holds none (power-on).
fn load() -> FaultRecord {
    // SAFETY: called inside a critical section (single core: nothing else runs); the
    // static is plain words and any bit pattern is a valid `FaultRecord`, so a volatile
    // read of possibly uninitialised RAM yields some value, which `valid` checks.
    let record = unsafe {
        core::ptr::addr_of!(RECORD)
            .cast::<FaultRecord>()
            .read_volatile()
    };
    if record.valid() {
        record
    } else {
        FaultRecord::EMPTY
    }
}

fn store(record: FaultRecord) {
    // SAFETY: called inside a critical section; the static is only accessed through
    // `load`/`store`, by volatile whole-record accesses.
    unsafe {
        core::ptr::addr_of_mut!(RECORD)
            .cast::<FaultRecord>()
            .write_volatile(record)
    };
}

/// Records one MemManage fault (count, and where the core captured them `MMFAR` and
/// `MMFSR`, whose bits it then clears). The library's handler calls it (feature
/// `mpu-fault-handler`); from your own `MemoryManagement` handler, call it first.
pub fn record_memmanage_fault() {
    critical_section::with(|_| {
        let (address, status) = fault_registers();
        let previous = load();
        let address = if status & MMARVALID != 0 {
            address
        } else {
            u32::MAX
        };
        store(FaultRecord::sealed(
            previous.count.saturating_add(1),
            address,
            status,
        ));
    });
}

/// `(MMFAR, MMFSR)`, clearing the MMFSR bits read.
#[cfg(target_has_atomic = "32")]
fn fault_registers() -> (u32, u32) {
    // SAFETY: the SCB's CFSR and MMFAR registers of the cortex-m crate's register block;
    // MMFSR (CFSR bits 0–7) is write-one-to-clear, so writing back the bits read clears
    // exactly this fault's status and leaves the bus and usage fault bits alone.
    unsafe {
        let scb = &*cortex_m::peripheral::SCB::PTR;
        let status = scb.cfsr.read() & 0xFF;
        let address = scb.mmfar.read();
        scb.cfsr.write(status);
        (address, status)
    }
}

/// ARMv6-M has no MemManage fault registers.
#[cfg(not(target_has_atomic = "32"))]
fn fault_registers() -> (u32, u32) {
    (u32::MAX, 0)
}

/// Enables the MemManage exception when the library's handler is linked (feature
/// `mpu-fault-handler`); returns whether it is enabled.
pub(crate) fn arm_fault_handler() -> bool {
    #[cfg(all(feature = "mpu-fault-handler", target_has_atomic = "32"))]
    {
        // SAFETY: read-modify-write of SHCSR inside a critical section; bit 16
        // (MEMFAULTENA) only routes MemManage faults to their own handler, defined below.
        critical_section::with(|_| unsafe {
            let scb = &*cortex_m::peripheral::SCB::PTR;
            scb.shcsr.modify(|v| v | (1 << 16));
        });
        true
    }
    #[cfg(not(all(feature = "mpu-fault-handler", target_has_atomic = "32")))]
    false
}

/// The library's MemManage handler: record, then reset (see the module's policy).
#[cfg(all(feature = "mpu-fault-handler", target_has_atomic = "32"))]
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
extern "C" fn MemoryManagement() -> ! {
    record_memmanage_fault();
    cortex_m::peripheral::SCB::sys_reset()
}

/// Reads the MPU registers (ARMv7-M layout; ARMv6-M and ARMv8-M report only the region
/// count and enable bit) and the fault record.
pub(crate) fn read(fault_handler: bool) -> MpuStatus {
    // SAFETY: read-only access to the MPU's TYPE, CTRL, RNR-selected RASR registers; RNR
    // is written and then restored inside a critical section, so no other code sees the
    // change.
    let (regions, enabled, active_regions, record) = critical_section::with(|_| unsafe {
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
        (regions, enabled, active, load())
    });
    MpuStatus {
        regions,
        enabled,
        active_regions,
        memmanage_faults: record.count,
        last_fault_address: (record.address != u32::MAX).then_some(record.address),
        last_fault_status: record.status as u8,
        fault_handler,
    }
}
