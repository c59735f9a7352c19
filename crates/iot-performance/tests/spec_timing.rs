//! The user description's timing examples, as written there, compiled and run.

use iot_performance::{MonitorConfig, PerformanceMonitor};
use iot_performance::{TimingMetrics, TimingProfiler, profile_block, profile_function};

#[derive(Debug)]
struct Error;

struct SensorData {
    celsius: f32,
}

async fn read_bme280_sensor() -> Result<SensorData, Error> {
    Ok(SensorData { celsius: 21.5 })
}

#[profile_function]
async fn critical_function() {
    // Function implementation
}

// Profile an entire function
#[profile_function]
async fn process_mqtt_message(message: &[u8]) -> Result<(), Error> {
    if message.is_empty() {
        return Err(Error);
    }
    Ok(())
}

#[tokio::test]
async fn function_timing_profiling_example() -> Result<(), Box<dyn std::error::Error>> {
    // Profile a specific code block
    let profiler = TimingProfiler::new();

    {
        let _timer = profile_block!("sensor_reading");
        // Critical sensor reading code
        let sensor_data = read_bme280_sensor().await.map_err(|_| "sensor")?;
        assert_eq!(sensor_data.celsius, 21.5);
    }
    process_mqtt_message(b"{\"t\":21.5}")
        .await
        .map_err(|_| "mqtt")?;
    assert!(process_mqtt_message(b"").await.is_err());
    critical_function().await;

    // Get profiling results
    let timing_report = profiler.generate_report().await?;
    let sensor: &TimingMetrics = &timing_report.get("sensor_reading").unwrap().metrics;
    assert_eq!(sensor.call_count, 1);
    let mqtt = timing_report.get("process_mqtt_message").unwrap();
    assert_eq!(mqtt.metrics.call_count, 2);
    assert_eq!(mqtt.polls, Some(2));
    assert!(mqtt.busy_time_us.is_some() && mqtt.wall_time_us.is_some());
    assert_eq!(
        timing_report
            .get("critical_function")
            .unwrap()
            .metrics
            .call_count,
        1
    );
    assert!(timing_report.to_string().contains("process_mqtt_message"));
    Ok(())
}

async fn read_sensors() -> u16 {
    7
}

// The Embassy task of the description, driven here by tokio: the monitor handle is
// moved into the task and opens a scope by name.
async fn sensor_task(perf_monitor: PerformanceMonitor) {
    for _ in 0..3 {
        let _timer = perf_monitor.profile_block("sensor_task_reading");
        let data = read_sensors().await;
        assert_eq!(data, 7);
    }
}

#[tokio::test]
async fn monitor_profile_block_in_a_task() -> Result<(), iot_performance::Error> {
    let monitor = PerformanceMonitor::new(MonitorConfig::default()).await?;
    tokio::spawn(sensor_task(monitor.clone())).await.unwrap();
    let s = iot_performance::timing::scope("sensor_task_reading").unwrap();
    assert_eq!(s.calls, 3);
    Ok(())
}
