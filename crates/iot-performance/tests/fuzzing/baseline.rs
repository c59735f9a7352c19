//! Target: baseline import (`baseline::codec::decode` and `BaselineManager::import`).

use arbtest::arbitrary::{Result, Unstructured};
use crc::{CRC_32_ISO_HDLC, Crc};
use iot_performance::Error;
use iot_performance::baseline::{PerformanceBaseline, codec};

/// Never panics; only `InvalidData` is returned; what decodes passes validation and
/// round-trips exactly.
pub fn check(bytes: &[u8]) {
    match codec::decode(bytes) {
        Ok((baseline, used)) => {
            assert!(used <= bytes.len());
            assert_eq!(codec::validate(&baseline), Ok(()));
            let mut out = [0u8; codec::MAX_FRAME_LEN];
            let n = codec::encode(&baseline, &mut out).expect("a decoded baseline re-encodes");
            assert_eq!(codec::decode(&out[..n]).map(|d| d.0), Ok(baseline));
        }
        Err(e) => assert!(matches!(e, Error::InvalidData { .. }), "{e:?}"),
    }
}

/// All or nothing: a refused batch leaves the table as it was.
pub fn check_import<P, const N: usize>(
    manager: &mut iot_performance::BaselineManager<P, N>,
    bytes: &[u8],
) where
    P: iot_performance::PlatformMetrics + iot_performance::HandleBound,
{
    let before: Vec<PerformanceBaseline> = manager
        .list()
        .map(|n| manager.get(n).cloned())
        .collect::<iot_performance::Result<_>>()
        .expect("listed names exist");
    if manager.import(bytes).is_err() {
        let after: Vec<PerformanceBaseline> = manager
            .list()
            .map(|n| manager.get(n).cloned())
            .collect::<iot_performance::Result<_>>()
            .expect("listed names exist");
        assert_eq!(before, after, "a refused import changed the table");
    }
}

/// A baseline frame around `payload` with a correct length and checksum.
pub fn reframe(payload: &[u8]) -> Vec<u8> {
    let mut f = codec::MAGIC.to_vec();
    f.push(codec::VERSION);
    let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    f.extend_from_slice(&len.to_le_bytes());
    f.extend_from_slice(payload);
    let crc = Crc::<u32>::new(&CRC_32_ISO_HDLC).checksum(&f[4..]);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

pub fn input(u: &mut Unstructured<'_>, corpus: &[Vec<u8>]) -> Result<Vec<u8>> {
    if u.ratio(1, 2)? {
        return super::input(u, corpus);
    }
    // Structure-aware: mutate the payload, keep the frame valid.
    let seed = u.choose(corpus)?;
    let payload = seed
        .get(7..seed.len().saturating_sub(4))
        .unwrap_or_default();
    Ok(reframe(&super::mutate(u, payload)?))
}
