use iot_performance::profile_function;

#[profile_function]
const SAMPLE_RATE_HZ: u32 = 100;

fn main() {
    let _ = SAMPLE_RATE_HZ;
}
