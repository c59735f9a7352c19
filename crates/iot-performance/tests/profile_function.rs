//! `#[profile_function]` on every kind of function a firmware engineer writes.

use std::fmt::Display;

use iot_performance::{profile_function, timing};

#[derive(Debug, PartialEq)]
struct ParseError;

#[profile_function]
fn pf_plain(a: u32, b: u32) -> u32 {
    a + b
}

#[profile_function("pf_custom_name")]
fn pf_renamed() {}

#[profile_function(name = "pf_named_key")]
fn pf_named() {}

#[profile_function]
fn pf_result(input: &str) -> Result<u8, ParseError> {
    let v: u8 = input.parse().map_err(|_| ParseError)?;
    Ok(v)
}

#[profile_function]
fn pf_early_return(x: i32) -> i32 {
    if x < 0 {
        return 0;
    }
    x * 2
}

#[profile_function]
fn pf_generic<T: Display + ?Sized>(value: &T) -> String {
    value.to_string()
}

#[profile_function]
fn pf_impl_trait(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

struct Sensor {
    offset: i16,
}

impl Sensor {
    #[profile_function]
    fn pf_method(&self, raw: i16) -> i16 {
        raw + self.offset
    }

    #[profile_function]
    fn pf_consume(self) -> i16 {
        self.offset
    }

    #[profile_function]
    async fn pf_async_method(&mut self, by: i16) -> i16 {
        self.offset += by;
        self.offset
    }
}

#[profile_function]
async fn pf_async_result(message: &[u8]) -> Result<usize, ParseError> {
    let first = message.first().ok_or(ParseError)?;
    Ok(usize::from(*first))
}

#[profile_function]
async fn pf_async_generic<T: Clone>(value: T) -> (T, T) {
    (value.clone(), value)
}

#[profile_function]
async fn pf_async_impl_trait() -> impl Display {
    42
}

#[profile_function]
async fn pf_async_unit() {}

fn calls(name: &str) -> u64 {
    timing::scope(name).map_or(0, |s| s.calls)
}

#[test]
fn sync_functions_of_every_shape() {
    assert_eq!(pf_plain(2, 3), 5);
    pf_renamed();
    pf_named();
    assert_eq!(pf_result("7"), Ok(7));
    assert_eq!(pf_result("x"), Err(ParseError));
    assert_eq!(pf_early_return(-1), 0);
    assert_eq!(pf_early_return(4), 8);
    assert_eq!(pf_generic("a"), "a");
    assert_eq!(pf_generic(&3.5), "3.5");
    assert_eq!(pf_impl_trait(4).sum::<u32>(), 6);
    let sensor = Sensor { offset: 3 };
    assert_eq!(sensor.pf_method(4), 7);
    assert_eq!(sensor.pf_consume(), 3);

    assert_eq!(calls("pf_plain"), 1);
    assert_eq!(calls("pf_custom_name"), 1);
    assert_eq!(calls("pf_named_key"), 1);
    assert_eq!(calls("pf_result"), 2, "the error path is timed too");
    assert_eq!(calls("pf_early_return"), 2, "early returns are timed");
    assert_eq!(calls("pf_generic"), 2, "all instantiations share one scope");
    assert_eq!(calls("pf_impl_trait"), 1);
    assert_eq!(calls("pf_method"), 1);
    assert_eq!(calls("pf_consume"), 1);
    assert_eq!(timing::scope("pf_plain").unwrap().polls, None);
}

#[test]
fn async_functions_of_every_shape() {
    futures_executor::block_on(async {
        assert_eq!(pf_async_result(&[9]).await, Ok(9));
        assert_eq!(pf_async_result(&[]).await, Err(ParseError));
        assert_eq!(pf_async_generic(1u8).await, (1, 1));
        assert_eq!(pf_async_impl_trait().await.to_string(), "42");
        pf_async_unit().await;
        let mut sensor = Sensor { offset: 1 };
        assert_eq!(sensor.pf_async_method(2).await, 3);
    });
    for (name, n) in [
        ("pf_async_result", 2),
        ("pf_async_generic", 1),
        ("pf_async_impl_trait", 1),
        ("pf_async_unit", 1),
        ("pf_async_method", 1),
    ] {
        let s = timing::scope(name).unwrap();
        assert_eq!(s.calls, n, "{name}");
        assert_eq!(s.polls, Some(n), "{name}: one poll per call");
        assert!(s.busy_ticks.unwrap() <= s.wall_ticks.unwrap(), "{name}");
    }
}

#[test]
fn a_dropped_future_is_not_a_completed_call() {
    let fut = pf_async_unit_never();
    drop(fut);
    assert_eq!(calls("pf_async_unit_never"), 0);
}

#[profile_function]
async fn pf_async_unit_never() {}

trait Driver {
    fn read(&self) -> u8;

    #[profile_function("pf_trait_default")]
    fn read_twice(&self) -> u16 {
        u16::from(self.read()) * 2
    }

    async fn fetch(&self) -> u8;
}

struct Bme280;

impl Driver for Bme280 {
    #[profile_function("pf_trait_impl")]
    fn read(&self) -> u8 {
        21
    }

    #[profile_function("pf_trait_async")]
    async fn fetch(&self) -> u8 {
        self.read()
    }
}

#[profile_function]
pub(crate) unsafe fn pf_unsafe(p: *const u8) -> u8 {
    // SAFETY: the caller passes a valid pointer.
    unsafe { *p }
}

#[test]
fn trait_methods_and_unsafe_fns() {
    let d = Bme280;
    assert_eq!(d.read_twice(), 42);
    assert_eq!(futures_executor::block_on(d.fetch()), 21);
    let x = 7u8;
    // SAFETY: `x` lives across the call.
    assert_eq!(unsafe { pf_unsafe(&x) }, 7);
    assert_eq!(calls("pf_trait_default"), 1);
    assert_eq!(calls("pf_trait_impl"), 2);
    assert_eq!(calls("pf_trait_async"), 1);
    assert_eq!(calls("pf_unsafe"), 1);
}
