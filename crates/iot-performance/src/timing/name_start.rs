//! A `&'static str` in 6 bytes on a 32-bit MCU instead of 8: a [`NameStart`] (the start of
//! its bytes) and its length as a `u16`, kept in two fields or arrays by their owner so
//! that the pointer stays aligned (one load) and the length adds no padding. The
//! registry's scope names and the Embassy task table's rows keep their names this way.
//! Null is "no name", so a zeroed table lands in `.bss`.

/// The start of a name's bytes (null: no name); its length is kept beside it, as a `u16`.
#[derive(Clone, Copy)]
pub(crate) struct NameStart(*const u8);

// SAFETY: a `NameStart` only ever holds null or the start of a `&'static str` (immutable
// and valid for the whole program, see `NameStart::split`): moving or sharing it across
// threads is as safe as moving or sharing that `&'static str`.
unsafe impl Send for NameStart {}
// SAFETY: as for `Send`: nothing is reached through the pointer but immutable bytes.
unsafe impl Sync for NameStart {}

impl NameStart {
    /// No name.
    pub(crate) const NONE: Self = Self(core::ptr::null());

    /// `name`'s start and length, or `None` when it is longer than 65 535 bytes (its
    /// length does not fit).
    pub(crate) fn split(name: &'static str) -> Option<(Self, u16)> {
        Some((Self(name.as_ptr()), u16::try_from(name.len()).ok()?))
    }

    /// The name that [`NameStart::split`] gave this start and `len`; `None` for
    /// [`NameStart::NONE`].
    ///
    /// # Safety
    ///
    /// `len` is the length `split` returned with this start (any length with `NONE`).
    pub(crate) unsafe fn join(self, len: u16) -> Option<&'static str> {
        if self.0.is_null() {
            return None;
        }
        // SAFETY: a non-null start was made by `split` from a `&'static str` (a `str`'s
        // pointer is never null, even when empty), and the caller passes the length
        // `split` returned with it: the bytes are valid UTF-8, immutable and live for the
        // whole program.
        Some(unsafe {
            core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.0, usize::from(len)))
        })
    }
}

impl core::fmt::Debug for NameStart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_name_joins_back_and_none_is_none() {
        // SAFETY: `NONE` takes any length.
        let none = unsafe { NameStart::NONE.join(3) };
        assert_eq!(none, None);
        for name in ["sensor", ""] {
            let (start, len) = NameStart::split(name).unwrap_or((NameStart::NONE, 0));
            // SAFETY: the length `split` returned with this start.
            let joined = unsafe { start.join(len) };
            assert_eq!((joined, usize::from(len)), (Some(name), name.len()));
        }
        // Longer names are refused: `registry::names`' tests.
    }
}
