use iot_performance::profile_function;

trait Sensor {
    #[profile_function]
    fn read(&self) -> u16;
}

fn main() {}
