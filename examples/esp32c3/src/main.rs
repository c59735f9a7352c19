//! iot-performance on an ESP32-C3: the systimer clock, the on-chip temperature sensor, the
//! core's cycle counter, the Wi-Fi traffic hook and profiled scopes, reported over the
//! USB serial console once a second. Builds here (`cargo xtask esp32c3`); flash it with
//! `espflash flash --monitor` (the cargo runner).

#![no_std]
#![no_main]

extern crate alloc;

use esp_println::println;
use iot_performance::esp32c3::{Esp32C3Config, Esp32C3Metrics, WIFI};
use iot_performance::insights::{InsightInput, analyze};
use iot_performance::{PerformanceMonitor, profile_block};

esp_bootloader_esp_idf::esp_app_desc!();

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic: {info}");
    loop {}
}

/// Stands in for the application's sensor read and network send.
#[inline(never)]
fn read_and_send(round: u32) -> usize {
    let _scope = profile_block!("sensor.read_and_send");
    let payload = alloc::vec![round as u8; 64 + (round as usize % 64)];
    // The network code reports what it sent and how long the reply took.
    WIFI.record_tx(payload.len());
    WIFI.record_rx(16);
    WIFI.record_latency_us(1_500 + round % 500);
    payload.len()
}

#[esp_hal::main]
fn main() -> ! {
    let _peripherals = esp_hal::init(esp_hal::Config::default());
    esp_alloc::heap_allocator!(size: 32 * 1024);

    let config = Esp32C3Config {
        enable_hardware_counters: true,
        temperature_monitoring: true,
        wifi_performance_tracking: true,
    };
    // The backend starts the temperature sensor itself and reads esp_alloc::HEAP.
    let monitor = embassy_futures::block_on(async {
        let metrics_provider = Esp32C3Metrics::new(config).await?;
        PerformanceMonitor::with_provider(metrics_provider).await
    });
    let monitor = match monitor {
        Ok(monitor) => monitor,
        Err(e) => panic!("monitor failed to start: {e}"),
    };

    let mut round = 0u32;
    loop {
        round = round.wrapping_add(1);
        core::hint::black_box(read_and_send(round));
        if round % 100 == 0 {
            if let Ok(s) = embassy_futures::block_on(monitor.snapshot()) {
                // cpu: busy cycles of the window (the spin below keeps it near 100 %).
                println!(
                    "heap {} B, fragmentation {:?}, cpu {:.1} %, uptime {} ms, temperature {:?} °C",
                    s.memory.heap_used,
                    s.memory.fragmentation(),
                    s.system.cpu_utilization,
                    s.system.uptime_ms,
                    s.system.temperature
                );
            }
            // Wi-Fi figures beside the snapshot, and the insight rules over both.
            if let (Ok(s), Some(wifi)) = (
                embassy_futures::block_on(monitor.current_metrics()),
                monitor.wifi_stats(),
            ) {
                println!(
                    "wifi tx {} B / {} packets, mean latency {:?} us",
                    wifi.tx_bytes,
                    wifi.tx_packets,
                    wifi.mean_latency_us()
                );
                let input = InsightInput::from_snapshot(&s).with_wifi(Some(wifi));
                for insight in &analyze(&input, &Default::default()).items {
                    println!("{insight}");
                }
            }
            if let Ok(cycles) = monitor.provider().cpu_cycles() {
                println!("busy cycles {cycles}");
            }
            if let Some(scope) = iot_performance::timing::scope("sensor.read_and_send") {
                println!(
                    "{}: {} calls, max {} us",
                    scope.name, scope.calls, scope.max_ticks
                );
            }
        }
        let start = iot_performance::esp32c3::now_ticks();
        while iot_performance::esp32c3::now_ticks() - start < 10_000 {}
    }
}
