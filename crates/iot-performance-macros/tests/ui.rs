//! Misuse of `#[profile_function]` is a compile error that points at the mistake.
//! Regenerate the expected messages with `TRYBUILD=overwrite cargo test -p iot-performance-macros`.

#[test]
fn misuse_is_a_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
