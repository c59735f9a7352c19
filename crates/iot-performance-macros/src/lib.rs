//! `#[profile_function]` for [`iot-performance`](https://docs.rs/iot-performance): use it
//! through `iot_performance::profile_function` (the library's default `macros` feature).
//!
//! ```
//! use iot_performance::profile_function;
//!
//! #[profile_function]
//! fn crc16(data: &[u8]) -> u16 {
//!     data.iter().fold(0xFFFF, |crc, b| crc ^ u16::from(*b))
//! }
//!
//! #[profile_function("mqtt_publish")]
//! async fn publish(topic: &str) -> Result<usize, ()> {
//!     Ok(topic.len())
//! }
//!
//! crc16(b"abc");
//! assert_eq!(futures_executor::block_on(publish("t/1")), Ok(3));
//! let s = iot_performance::timing::scope("mqtt_publish").unwrap();
//! assert_eq!((s.calls, s.polls), (1, Some(1)));
//! assert_eq!(iot_performance::timing::scope("crc16").unwrap().calls, 1);
//! ```
#![deny(missing_docs)]

mod expand;

use proc_macro::TokenStream;

/// Times every call of the function it is put on, as a scope named after the function
/// or after the string given: `#[profile_function]`, `#[profile_function("name")]`,
/// `#[profile_function(name = "name")]`.
///
/// Works on free functions, methods, generic functions and functions returning
/// `Result` or `impl Trait`. On an `async fn` the call's duration is its wall time
/// (first poll to completion), and the scope also records busy time (the polls' CPU
/// time) and the number of polls. Anything else (a struct, a `const`, a `const fn`) is
/// a compile error pointing at it.
#[proc_macro_attribute]
pub fn profile_function(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::profile_function(attr.into(), item.into()).into()
}
