//! The platform layer: what a backend must be able to tell, and the backends.
//!
//! | part | what it holds |
//! |---|---|
//! | `provider` | the traits [`TimingProvider`], [`MemoryProvider`], [`SystemInfoProvider`] and their union [`PlatformMetrics`] |
//! | `default` | [`DefaultPlatform`]: the backend constructors without a provider use |
//! | `mock` | every figure set by the test; a clock that advances instantly |
//! | `host` (`std`) | the running process |
//! | `firmware` | what every firmware backend shares: heap reader, painted stack, statics, idle-time CPU load, waiting |
//! | `cortex_m`, `riscv`, `esp32c3` | a chip's registers and config only, each over `firmware` |
//!
//! A chip folder is always compiled: its register-free logic (the SysTick wrap protocol,
//! the Wi-Fi tracker) sits beside a model of the hardware and is tested on the host; the
//! backend that touches registers is built with the chip's feature.

mod default;
mod provider;

pub mod cortex_m;
pub mod esp32c3;
#[cfg(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3"))]
mod firmware;
#[cfg(host_std)]
pub mod host;
pub mod mock;
mod on_first_use;
#[cfg(feature = "riscv")]
pub mod riscv;

pub use default::DefaultMemoryPlatform;
pub use default::{DefaultPlatform, NoDefaultPlatform};
pub use on_first_use::OnFirstUse;
#[cfg(any(host_std, feature = "cortex-m", feature = "riscv", feature = "esp32c3"))]
pub(crate) use on_first_use::open_default_backend;
pub use provider::{MemoryProvider, PlatformMetrics, SystemInfoProvider, TimingProvider};
