use iot_performance::profile_function;

#[profile_function]
struct SensorReading {
    celsius: f32,
}

fn main() {
    let _ = SensorReading { celsius: 21.5 }.celsius;
}
