//! Target: the wire frame decoder (`wire::decode_frame`).

use arbtest::arbitrary::{Result, Unstructured};
use crc::{CRC_32_ISO_HDLC, Crc};
use iot_performance::wire::{MAGIC, MAX_FRAME_LEN, VERSION, decode_frame, encode_frame};

/// Never panics; a frame that decodes re-encodes, and that encoding decodes to the same
/// bytes again (the record survives a round trip).
pub fn check(bytes: &[u8]) {
    let mut buf = bytes.to_vec();
    let Ok(record) = decode_frame(&mut buf) else {
        return;
    };
    let mut first = [0u8; MAX_FRAME_LEN];
    // Longer names than the device writes decode, but need not fit an encoder buffer.
    let Ok(n) = encode_frame(&record, &mut first) else {
        return;
    };
    assert_eq!(first[n - 1], 0, "frame ends with its delimiter");
    let mut again = first[..n - 1].to_vec();
    let record2 = decode_frame(&mut again).expect("a re-encoded frame decodes");
    let mut second = [0u8; MAX_FRAME_LEN];
    let m = encode_frame(&record2, &mut second).expect("encodes again");
    assert_eq!(first[..n], second[..m], "round trip changed the record");
}

/// A frame around `body` with a correct checksum, so mutations reach the record parser.
pub fn reframe(version: u8, body: &[u8]) -> Vec<u8> {
    let mut raw = MAGIC.to_vec();
    raw.push(version);
    raw.extend_from_slice(body);
    let crc = Crc::<u32>::new(&CRC_32_ISO_HDLC).checksum(&raw);
    raw.extend_from_slice(&crc.to_le_bytes());
    let mut out = vec![0u8; cobs::max_encoding_length(raw.len())];
    let n = cobs::encode(&raw, &mut out);
    out.truncate(n);
    out
}

/// The record body of an encoded corpus frame (None for one that does not COBS-decode).
fn body(frame: &[u8]) -> Option<Vec<u8>> {
    let mut raw = frame.to_vec();
    let n = cobs::decode_in_place(&mut raw).ok()?;
    raw.get(MAGIC.len() + 1..n.checked_sub(4)?)
        .map(<[u8]>::to_vec)
}

pub fn run(u: &mut Unstructured<'_>, corpus: &[Vec<u8>]) -> Result<()> {
    if u.ratio(1, 2)? {
        check(&super::input(u, corpus)?);
    } else {
        // Structure-aware: mutate a record body, then give it a valid frame.
        let seed = u.choose(corpus)?;
        let mutated = super::mutate(u, &body(seed).unwrap_or_default())?;
        let version = if u.ratio(1, 8)? {
            u.arbitrary()?
        } else {
            VERSION
        };
        check(&reframe(version, &mutated));
    }
    Ok(())
}
