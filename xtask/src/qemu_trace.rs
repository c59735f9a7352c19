//! The trace parts of `cargo xtask qemu`: decodes on the host the post-mortem dump a
//! firmware printed (`trace-dump: <hex chunk>` lines), and collects the `trace:` cost
//! lines for the summary.

use iot_performance::trace::{ChunkDecoder, EventKind};

/// The marker `examples/qemu-trace` writes just before its deliberate fault.
const FAULT_MARKER: u32 = 0xFA17;

/// What a firmware's output says about the trace.
#[derive(Debug, Default, PartialEq)]
pub struct TraceOutput {
    /// The `trace: N instructions per event ...` line, if printed.
    pub cost: Option<String>,
    /// The post-mortem dump's hex chunks, in order.
    pub dump: Vec<String>,
}

impl TraceOutput {
    pub fn parse(output: &str) -> Self {
        let mut parsed = Self::default();
        for line in output.lines() {
            if let Some(hex) = line.strip_prefix("trace-dump: ") {
                if !hex.starts_with("end") {
                    parsed.dump.push(hex.trim().to_string());
                }
            } else if line.starts_with("trace: ") && line.contains("instructions per event") {
                parsed.cost = Some(line.to_string());
            }
        }
        parsed
    }

    /// Decodes the dump: the number of events, or why it does not decode or does not end
    /// at the fault marker.
    pub fn check_dump(&self) -> Result<usize, String> {
        if self.dump.is_empty() {
            return Err("no trace-dump lines".into());
        }
        let mut decoder = ChunkDecoder::new();
        let mut events = Vec::new();
        for hex in &self.dump {
            let bytes = from_hex(hex)?;
            let decoded = decoder.decode(&bytes).map_err(|e| e.to_string())?;
            for event in decoded {
                events.push(event.map_err(|e| e.to_string())?);
            }
        }
        match events.last() {
            Some(last) if last.kind == Some(EventKind::Marker) && last.id == FAULT_MARKER => {
                Ok(events.len())
            }
            last => Err(format!("{} events, the last is {last:?}", events.len())),
        }
    }
}

fn from_hex(hex: &str) -> Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) {
        return Err(format!("odd hex length {}", hex.len()));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_decodes_and_must_end_at_the_marker() {
        // lost 0, base 100; marker id 3 (delta 0), marker 0xFA17 (id 15 + LEB128 rest).
        let rest = FAULT_MARKER - 15;
        let mut chunk = vec![0, 0, 0, 0, 100, 0, 0, 0, 0x39, 0, 0xF9, 5];
        chunk.push((rest & 0x7F) as u8 | 0x80);
        chunk.push(((rest >> 7) & 0x7F) as u8 | 0x80);
        chunk.push((rest >> 14) as u8);
        let hex: String = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let out = format!(
            "trace: 67 instructions per event (x)\ntrace-dump: {hex}\ntrace-dump: end (2 events)\n"
        );
        let parsed = TraceOutput::parse(&out);
        assert_eq!(
            parsed.cost.as_deref(),
            Some("trace: 67 instructions per event (x)")
        );
        assert_eq!(parsed.check_dump(), Ok(2));
        let cut = TraceOutput {
            cost: None,
            dump: vec![hex[..hex.len() - 2].to_string()],
        };
        assert!(cut.check_dump().is_err());
        assert!(TraceOutput::default().check_dump().is_err());
    }
}
