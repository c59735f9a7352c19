//! [`CortexMMetrics`]: the Cortex-M backend over the shared firmware core.

use cortex_m::peripheral::SYST;

use super::clock::{self, ClockSource};
use super::mpu::{self, MpuStatus};
use super::systick;
use crate::memory::stack::StackRegion;
use crate::platform::firmware::{FirmwareCore, firmware_providers, idle_while};
use crate::{Error, Result};

/// Settings of the Cortex-M backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CortexMConfig {
    /// How many times a second SysTick fires (its reload value gives the core clock).
    pub systick_frequency: u32,
    /// Use the DWT cycle counter when the core has one that advances.
    pub dwt_cycle_counter: bool,
    /// Read the MPU's configuration and the MemManage faults recorded
    /// ([`CortexMMetrics::mpu_status`]); with feature `mpu-fault-handler`, also route
    /// MemManage faults to the library's handler, which records and resets (see
    /// [`super::MpuStatus`] and the policy in the `cortex_m` module docs).
    pub mpu_monitoring: bool,
}

impl Default for CortexMConfig {
    /// A 1 kHz SysTick, DWT on, MPU monitoring off.
    fn default() -> Self {
        Self {
            systick_frequency: 1000,
            dwt_cycle_counter: true,
            mpu_monitoring: false,
        }
    }
}

/// Metrics of a Cortex-M device. One per program: it owns the clock and the stack paint.
///
/// ```no_run
/// use iot_performance::cortex_m::{CortexMConfig, CortexMMetrics};
///
/// #[cortex_m_rt::exception]
/// fn SysTick() {
///     iot_performance::cortex_m::on_systick();
///     // ... advance your time driver ...
/// }
///
/// # async fn start() -> iot_performance::Result<()> {
/// let config = CortexMConfig {
///     systick_frequency: 1000,
///     dwt_cycle_counter: true,
///     mpu_monitoring: false,
/// };
/// let metrics_provider = CortexMMetrics::new(config).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CortexMMetrics {
    config: CortexMConfig,
    source: ClockSource,
    /// The library's MemManage handler takes faults (`mpu_monitoring` with feature
    /// `mpu-fault-handler`).
    fault_handler: bool,
    core: FirmwareCore,
}

/// Accounts a SysTick wrap (and refreshes the DWT extension). Call it first in your
/// SysTick handler; it is one short critical section.
///
/// The SysTick clock owns `COUNTFLAG` (in `SYST_CSR`, cleared by any read of that
/// register): a wrap is counted exactly once, by this handler or by a clock read that
/// comes first (with interrupts masked, or from an interrupt that outranks SysTick), so
/// time never steps back. Other code should not read `SYST_CSR` (for example
/// `SYST::has_wrapped`) once the backend runs on SysTick: a wrap it sees is lost here.
///
/// It is a clock read, whose result it drops: in SysTick mode a read accounts a wrap not
/// yet accounted (the same code as every other reader's), in DWT mode it refreshes the
/// 64-bit extension.
#[inline]
pub fn on_systick() {
    clock::on_tick();
}

/// Sleeps with `WFI` until an interrupt, counting the time as idle for `cpu_utilization`.
pub fn wait_for_interrupt() {
    idle_while(cortex_m::asm::wfi);
}

impl CortexMMetrics {
    /// Chooses the clock, paints the unused stack and reads the linker's memory layout.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `systick_frequency` is 0 or SysTick is not running
    /// (its reload value is needed to know the core clock), or when called on another
    /// stack than the main stack (it paints the main stack).
    //
    // A first-poll future whose work is inlined into the caller (`start` is
    // `inline(always)`): the texts of the errors an image drops fold away, and there is no
    // `async fn` "resumed after completion" panic with its source path (`cargo xtask size`:
    // −188 B of flash on thumbv7em against the `async fn`; out of line, the error texts
    // stayed: +284 B).
    pub fn new(config: CortexMConfig) -> impl Future<Output = Result<Self>> {
        crate::first_poll::on_first_poll(move || Self::start(config))
    }

    /// [`CortexMMetrics::new`]'s work.
    #[inline(always)]
    fn start(config: CortexMConfig) -> Result<Self> {
        if config.systick_frequency == 0 {
            return Err(Error::InvalidConfig {
                field: "systick_frequency",
                reason: "must be the SysTick interrupt rate in Hz (> 0)",
            });
        }
        let reload = SYST::get_reload();
        let enabled = clock::systick_running();
        if !enabled || reload == 0 {
            return Err(Error::InvalidConfig {
                field: "systick_frequency",
                reason: "SysTick is not running: start it at systick_frequency with its interrupt enabled (your Embassy/RTOS time driver, or SYST::set_reload(core_hz / systick_frequency - 1) + enable_counter + enable_interrupt) before new, and call on_systick() first in the SysTick handler",
            });
        }
        let core_clock_hz = systick::core_clock_hz(reload, config.systick_frequency);
        let source = if config.dwt_cycle_counter && clock::try_dwt() {
            ClockSource::DwtCycleCounter
        } else {
            clock::use_systick();
            ClockSource::SysTick
        };
        clock::install(source, core_clock_hz);
        let fault_handler = config.mpu_monitoring && mpu::arm_fault_handler();
        let static_memory = crate::memory::static_memory()?;
        let core = FirmwareCore::start(StackRegion::main_stack(), static_memory)?;
        Ok(Self {
            config,
            source,
            fault_handler,
            core,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &CortexMConfig {
        &self.config
    }

    /// The counter behind the clock.
    pub fn clock_source(&self) -> ClockSource {
        self.source
    }

    /// The MPU's regions and the MemManage faults recorded since power-on (across the
    /// fault handler's resets).
    ///
    /// # Errors
    /// [`Error::Unsupported`] unless the backend was created with `mpu_monitoring: true`.
    pub fn mpu_status(&self) -> Result<MpuStatus> {
        if !self.config.mpu_monitoring {
            return Err(Error::Unsupported {
                metric: "MPU status (enable `mpu_monitoring`)",
            });
        }
        Ok(mpu::read(self.fault_handler))
    }

    /// nRF51-class parts (ARMv6-M: no DWT `CYCCNT`): starts the nRF `TIMER` at
    /// `timer_base` as a free-running 32-bit counter at 16 MHz (`MODE` timer, `BITMODE`
    /// 32, `PRESCALER` 0) and makes it the profiler's clock, read through capture channel
    /// `channel` (see [`crate::clock::CounterRegister::nrf_timer`]). A scope then costs a
    /// store and a load for each reading instead of the SysTick clock's function call and
    /// critical section; without this call SysTick stays the clock. Like every counter
    /// clock, the 64-bit time (`now`) extends its readings past wraps and must be read at
    /// least once per wrap (2³² ticks: 268 s).
    ///
    /// Returns the counter's rate, 16 MHz.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a `channel` past 5.
    ///
    /// # Safety
    /// `timer_base` must be the base address of an nRF `TIMER` with a 32-bit mode (on the
    /// nRF51 only `TIMER0`, `0x4000_8000`) that nothing else uses, configures, stops or
    /// clears for the rest of the program.
    #[cfg(not(target_has_atomic = "32"))]
    pub unsafe fn use_nrf_timer(&self, timer_base: usize, channel: usize) -> Result<u64> {
        const HZ: u64 = 16_000_000;
        // SAFETY: the caller's contract: the timer is this clock's alone and counts as set
        // up below.
        let Some(counter) =
            (unsafe { crate::clock::CounterRegister::nrf_timer(timer_base, channel, HZ) })
        else {
            return Err(Error::InvalidConfig {
                field: "channel",
                reason: "an nRF TIMER has capture channels 0 to 5",
            });
        };
        let register = |offset: usize| (timer_base + offset) as *mut u32;
        // SAFETY: registers of the caller's TIMER (nRF51 reference manual, TIMER):
        // TASKS_STOP, TASKS_CLEAR, MODE, BITMODE, PRESCALER, TASKS_START; nothing else
        // uses the timer.
        unsafe {
            register(0x004).write_volatile(1);
            register(0x00C).write_volatile(1);
            register(0x504).write_volatile(0);
            register(0x508).write_volatile(3);
            register(0x510).write_volatile(0);
            register(0x000).write_volatile(1);
        }
        crate::clock::set_counter_clock(counter);
        Ok(HZ)
    }

    /// The core has no temperature sensor.
    fn temperature(&self) -> Option<f32> {
        None
    }
}

firmware_providers!(CortexMMetrics);
