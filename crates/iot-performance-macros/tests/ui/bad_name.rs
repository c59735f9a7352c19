use iot_performance::profile_function;

#[profile_function(label = "x")]
fn first() {}

#[profile_function("")]
fn second() {}

#[profile_function(42)]
fn third() {}

fn main() {
    first();
    second();
    third();
}
